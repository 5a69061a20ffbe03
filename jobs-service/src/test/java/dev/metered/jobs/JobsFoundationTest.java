package dev.metered.jobs;

import dev.metered.testing.AuthJwksResource;
import dev.metered.testing.PostgresTestResource;
import dev.metered.testing.ServiceFoundationContract;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
@WithTestResource(value = PostgresTestResource.class, scope = TestResourceScope.GLOBAL,
        initArgs = { @ResourceArg(name = "role", value = "metered_jobs"), @ResourceArg(name = "also-migrate", value = "billing") })
@WithTestResource(value = AuthJwksResource.class, scope = TestResourceScope.GLOBAL)
class JobsFoundationTest extends ServiceFoundationContract {

    @Override
    protected String schema() {
        return "jobs";
    }
}
