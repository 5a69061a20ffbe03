package dev.metered.worker;

import dev.metered.testing.PostgresTestResource;
import dev.metered.testing.ServiceFoundationContract;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
@WithTestResource(value = PostgresTestResource.class, scope = TestResourceScope.GLOBAL,
        initArgs = { @ResourceArg(name = "role", value = "metered_worker"),
                @ResourceArg(name = "also-migrate", value = "billing,jobs") })
class WorkerFoundationTest extends ServiceFoundationContract {

    @Override
    protected String schema() {
        return "worker";
    }
}
