package dev.metered.ops;

import dev.metered.testing.AuthJwksResource;
import dev.metered.testing.PostgresTestResource;
import dev.metered.testing.ServiceFoundationContract;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
@WithTestResource(value = PostgresTestResource.class, scope = TestResourceScope.GLOBAL,
        initArgs = { @ResourceArg(name = "role", value = "metered_ops"),
                @ResourceArg(name = "also-migrate", value = "auth,billing,jobs,worker") })
@WithTestResource(value = AuthJwksResource.class, scope = TestResourceScope.GLOBAL)
class OpsFoundationTest extends ServiceFoundationContract {

    @Override
    protected String schema() {
        return "ops";
    }
}
