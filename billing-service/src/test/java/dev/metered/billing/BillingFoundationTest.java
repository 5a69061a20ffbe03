package dev.metered.billing;

import dev.metered.testing.AuthJwksResource;
import dev.metered.testing.PostgresTestResource;
import dev.metered.testing.ServiceFoundationContract;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
@WithTestResource(value = PostgresTestResource.class, scope = TestResourceScope.GLOBAL,
        initArgs = @ResourceArg(name = "role", value = "metered_billing"))
@WithTestResource(value = StripeFake.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = AuthJwksResource.class, scope = TestResourceScope.GLOBAL)
class BillingFoundationTest extends ServiceFoundationContract {

    @Override
    protected String schema() {
        return "billing";
    }
}
