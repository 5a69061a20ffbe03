// Proves that check.mjs catches what it claims to: each mutation below breaks one thing in a
// copy of a rendering (in memory, nothing on disk changes) and must make the checks fail, while
// the rendering itself must pass. Run by bin/check-deploy after the real checks.
//
//   node selftest.mjs ROOT RENDERED.yaml
import { checkObjects, loadRepository, objectsOf } from "./check.mjs";

const [root, file] = process.argv.slice(2);
loadRepository(root);
const pristine = objectsOf(file);

const find = (objects, kind, name) => {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!found) throw new Error(`selftest: no ${kind} ${name ?? ""} in ${file}`);
  return found;
};
const container = (objects, kind, name) => find(objects, kind, name).spec.template.spec.containers[0];
const env = (c, name) => {
  const found = c.env.find((e) => e.name === name);
  if (!found) throw new Error(`selftest: no ${name} in container ${c.name}`);
  return found;
};
const routeRule = (objects, service, index = 0) => find(objects, "HTTPRoute", service).spec.rules[index];
const policy = (objects, name) => find(objects, "BackendTrafficPolicy", name).spec;
// the responseOverride entry of `status` in a BackendTrafficPolicy
const override = (objects, name, status) => {
  const found = policy(objects, name).responseOverride.find((e) => e.match.statusCodes.some((m) => m.value === status));
  if (!found) throw new Error(`selftest: no responseOverride of ${status} in BackendTrafficPolicy ${name}`);
  return found;
};
const withoutOverride = (objects, name, status) => {
  const spec = policy(objects, name);
  spec.responseOverride = spec.responseOverride.filter((e) => !e.match.statusCodes.some((m) => m.value === status));
};
// the local rate limit rules of a BackendTrafficPolicy that count `path`
const limitRules = (objects, name, path) => {
  const rules = policy(objects, name).rateLimit.local.rules.filter((r) => r.clientSelectors.some((c) => c.path?.value === path));
  if (rules.length === 0) throw new Error(`selftest: no rate limit of ${path} in BackendTrafficPolicy ${name}`);
  return rules;
};

// [what it breaks, mutation of a deep copy of the objects]
const mutations = [
  ["a probe on a wrong port", (o) => { container(o, "Deployment", "auth-service").livenessProbe.httpGet.port = 8080; }],
  ["liveness on the readiness endpoint", (o) => { container(o, "Deployment", "jobs-service").livenessProbe.httpGet.path = "/q/health/ready"; }],
  ["a container port that is not quarkus.http.port", (o) => { container(o, "Deployment", "ops-service").ports[0].containerPort = 8080; }],
  ["an unknown property in a Deployment", (o) => { container(o, "Deployment", "auth-service").readinessProbe.httpGet.pathh = "/"; }],
  ["an unknown property in a ClientTrafficPolicy", (o) => { find(o, "ClientTrafficPolicy").spec.bodyLimit = "256Ki"; }],
  ["an unknown property in a CloudNativePG Cluster", (o) => { find(o, "Cluster").spec.replicas = 3; }],
  ["an unknown property in a ScaledObject", (o) => { find(o, "ScaledObject").spec.minReplicas = 1; }],
  ["a schema type error", (o) => { find(o, "Deployment", "auth-service").spec.replicas = "three"; }],
  ["a variable the service does not read", (o) => { container(o, "Deployment", "jobs-service").env.push({ name: "JOBS_TURBO", value: "1" }); }],
  ["a required variable missing", (o) => {
    const c = container(o, "Deployment", "billing-service");
    c.env = c.env.filter((e) => e.name !== "STRIPE_WEBHOOK_SECRET");
  }],
  ["a required variable only optional", (o) => { env(container(o, "Deployment", "billing-service"), "STRIPE_SECRET_KEY").valueFrom.secretKeyRef.optional = true; }],
  ["a secret as a literal value", (o) => { env(container(o, "Deployment", "ops-service"), "ADMIN_TOKEN").valueFrom = undefined; env(container(o, "Deployment", "ops-service"), "ADMIN_TOKEN").value = "x".repeat(32); }],
  ["an expansion of a variable defined later", (o) => { const c = container(o, "Deployment", "auth-service"); c.env.push(c.env.shift()); }],
  ["an image with a registry host", (o) => { container(o, "Deployment", "auth-service").image = "images.other-registry.test/metered/auth-service:0.1.0"; }],
  ["an image of another name", (o) => { container(o, "Deployment", "worker-service").image = "metered/worker:0.1.0"; }],
  ["an unpinned image in an overlay", (o) => { container(o, "Deployment", "jobs-service").image = "metered/jobs-service"; }],
  ["the PostgreSQL image set", (o) => { find(o, "Cluster").spec.imageName = "postgres:17"; }],
  ["a route path differing from routes.tsv", (o) => { routeRule(o, "jobs-service").matches[0].path.value = "/api/job"; }],
  ["a route match type differing from routes.tsv", (o) => { routeRule(o, "ops-service", 1).matches[0].path.type = "PathPrefix"; }],
  ["a route port differing from routes.tsv", (o) => { routeRule(o, "billing-service").backendRefs[0].port = 8080; }],
  ["a route to another service", (o) => { routeRule(o, "auth-service").backendRefs[0].name = "ops-service"; routeRule(o, "auth-service").backendRefs[0].port = 8085; }],
  ["a route to /q/metrics", (o) => { routeRule(o, "ops-service").matches.push({ path: { type: "PathPrefix", value: "/q" } }); }],
  ["a route served over plain HTTP", (o) => { delete find(o, "HTTPRoute", "auth-service").spec.parentRefs[0].sectionName; }],
  ["a Service targetPort that is not the container's", (o) => { find(o, "Service", "billing-service").spec.ports[0].targetPort = 8080; }],
  ["a Service selecting the migration pods too", (o) => { delete find(o, "Service", "jobs-service").spec.selector["app.kubernetes.io/component"]; }],
  ["the worker's LISTEN through the pooler", (o) => {
    const e = env(container(o, "Deployment", "worker-service"), "DATABASE_LISTEN_URL");
    e.value = e.value.replace("metered-db-rw", "metered-db-pooler-rw");
  }],
  ["billing without its LISTEN URL", (o) => {
    const c = container(o, "Deployment", "billing-service");
    c.env = c.env.filter((e) => e.name !== "DATABASE_LISTEN_URL");
  }],
  ["a web service bypassing the pooler", (o) => {
    const e = env(container(o, "Deployment", "jobs-service"), "DATABASE_URL");
    e.value = e.value.replace("metered-db-pooler-rw", "metered-db-rw");
  }],
  ["a migration through the pooler", (o) => {
    const e = env(container(o, "Job", "ops-service-migrate"), "DATABASE_URL");
    e.value = e.value.replace("metered-db-rw", "metered-db-pooler-rw");
  }],
  ["a service connecting as another role", (o) => {
    const e = env(container(o, "Deployment", "ops-service"), "DATABASE_URL");
    e.value = e.value.replace("metered_ops", "metered_billing");
  }],
  ["a password from another role's Secret", (o) => { env(container(o, "Deployment", "jobs-service"), "DB_PASSWORD").valueFrom.secretKeyRef.name = "metered-db-billing"; }],
  ["a web Deployment migrating at start", (o) => { env(container(o, "Deployment", "auth-service"), "METERED_MIGRATE_AT_START").value = "true"; }],
  ["a migration Job that does not exit", (o) => {
    const c = container(o, "Job", "jobs-service-migrate");
    c.env = c.env.filter((e) => e.name !== "QUARKUS_INIT_AND_EXIT");
  }],
  ["a migration Job without its label", (o) => { delete find(o, "Job", "auth-service-migrate").metadata.labels["app.kubernetes.io/component"]; }],
  ["a migration Job without a TTL", (o) => { delete find(o, "Job", "billing-service-migrate").spec.ttlSecondsAfterFinished; }],
  ["a migration Job reading a ConfigMap", (o) => {
    const cm = o.find((x) => x.kind === "ConfigMap" && x.metadata.name.startsWith("jobs-service-config"));
    container(o, "Job", "jobs-service-migrate").envFrom = [{ configMapRef: { name: cm.metadata.name } }];
  }],
  ["a web service running the queue worker", (o) => { env(container(o, "Deployment", "billing-service"), "MVP_WORKER_ENABLED").value = "true"; }],
  ["the worker without a stable WORKER_ID", (o) => { env(container(o, "Deployment", "worker-service"), "WORKER_ID").valueFrom.fieldRef.fieldPath = "metadata.uid"; }],
  ["the worker killed before it hands jobs back", (o) => { find(o, "Deployment", "worker-service").spec.template.spec.terminationGracePeriodSeconds = 15; }],
  ["replicas on the KEDA-scaled worker", (o) => { find(o, "Deployment", "worker-service").spec.replicas = 2; }],
  ["localhost origins allowed", (o) => { o.find((x) => x.kind === "ConfigMap" && x.metadata.name.startsWith("metered-common")).data.ALLOW_LOCALHOST_ORIGINS = "true"; }],
  ["no CORS origins in an overlay", (o) => { o.find((x) => x.kind === "ConfigMap" && x.metadata.name.startsWith("metered-common")).data.CORS_ALLOW_ORIGINS = ""; }],
  ["a writable root filesystem", (o) => { container(o, "Deployment", "ops-service").securityContext.readOnlyRootFilesystem = false; }],
  ["capabilities kept", (o) => { container(o, "Job", "worker-service-migrate").securityContext.capabilities.drop = []; }],
  ["no memory limit", (o) => { delete container(o, "Deployment", "jobs-service").resources.limits.memory; }],
  ["no emptyDir at /tmp", (o) => { container(o, "Deployment", "auth-service").volumeMounts = []; }],
  ["a Secret with data in the manifests", (o) => { o.push({ apiVersion: "v1", kind: "Secret", metadata: { name: "oops", namespace: "metered" }, stringData: { ADMIN_TOKEN: "x" } }); }],
  ["an Ingress", (o) => { o.push({ apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name: "old", namespace: "metered" }, spec: {} }); }],
  ["an object of a kind no package knows", (o) => { o.push({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w", namespace: "metered" } }); }],
  ["an object in another namespace", (o) => { find(o, "Service", "auth-service").metadata.namespace = "default"; }],
  ["a URL to a host that is not a placeholder", (o) => { o.find((x) => x.kind === "ConfigMap" && x.metadata.name.startsWith("billing-service-config")).data.BILLING_CANCEL_URL = ["https:", "", "shop.real-company.test", "cancelled"].join("/"); }],
  ["a queue-depth query of count(*)", (o) => { find(o, "ScaledObject").spec.triggers[0].metadata.query = "SELECT count(*) FROM jobs.ops_queue_depth"; }],
  ["a queue-depth query as a role without the grant", (o) => { find(o, "ScaledObject").spec.triggers[0].metadata.userName = "metered_worker"; }],
  ["a KEDA host KEDA cannot resolve", (o) => { find(o, "ScaledObject").spec.triggers[0].metadata.host = "metered-db-pooler-rw"; }],
  ["a KEDA target that is not the worker's concurrency", (o) => { find(o, "ScaledObject").spec.triggers[0].metadata.targetQueryValue = "5"; }],
  ["the worker scaled on CPU alone", (o) => { find(o, "ScaledObject").spec.triggers = [{ type: "cpu", metricType: "Utilization", metadata: { value: "70" } }]; }],
  ["a gateway body limit other than the services'", (o) => { find(o, "BackendTrafficPolicy", "metered-backends").spec.requestBuffer.limit = "1Mi"; }],
  // problem+json for the errors Envoy answers itself (bin/gateway-config's bodies)
  ["no catch-all route: unrouted paths get Envoy's empty 404", (o) => { o.splice(o.indexOf(find(o, "HTTPRoute", "unrouted")), 1); }],
  ["the catch-all's 404 body differing from the local gateway's", (o) => {
    const body = find(o, "HTTPRouteFilter", "unrouted").spec.directResponse.body;
    body.inline = body.inline.replace("No public route", "No route");
  }],
  ["the catch-all's 404 as text/plain", (o) => { find(o, "HTTPRouteFilter", "unrouted").spec.directResponse.contentType = "text/plain"; }],
  ["the catch-all answering 200", (o) => { find(o, "HTTPRouteFilter", "unrouted").spec.directResponse.statusCode = 200; }],
  ["the catch-all forwarding unrouted paths to a service", (o) => {
    const rule = find(o, "HTTPRoute", "unrouted").spec.rules[0];
    delete rule.filters;
    rule.backendRefs = [{ name: "ops-service", port: 8085 }];
  }],
  ["the catch-all's HTTPRouteFilter missing", (o) => { o.splice(o.indexOf(find(o, "HTTPRouteFilter", "unrouted")), 1); }],
  ["the catch-all narrowed to GET", (o) => { find(o, "HTTPRoute", "unrouted").spec.rules[0].matches[0].method = "GET"; }],
  ["an unknown property in an HTTPRouteFilter", (o) => { find(o, "HTTPRouteFilter", "unrouted").spec.directResponse.statuscode = 404; }],
  ["no problem+json 504 from Envoy", (o) => { withoutOverride(o, "metered-backends", 504); }],
  ["no problem+json 413 on one route", (o) => { withoutOverride(o, "billing-service", 413); }],
  ["a 413 body differing from the local gateway's", (o) => {
    const body = override(o, "metered-backends", 413).response.body;
    body.inline = body.inline.replace("256 KiB", "1 MiB");
  }],
  ["a 502 override as application/json", (o) => { override(o, "auth-service", 502).response.contentType = "application/json"; }],
  ["a 504 override changing the status", (o) => { override(o, "metered-backends", 504).response.statusCode = 503; }],
  ["a 413 override with a command operator in its body", (o) => {
    const body = override(o, "metered-backends", 413).response.body;
    body.inline = body.inline.replace("256 KiB.", "256 KiB (%RESPONSE_CODE_DETAILS%).");
  }],
  ["a 413 override from a ConfigMap that is not there", (o) => {
    override(o, "metered-backends", 413).response.body = { type: "ValueRef", valueRef: { group: "", kind: "ConfigMap", name: "no-such-problem" } };
  }],
  ["an override rewriting the services' own 503s", (o) => {
    policy(o, "metered-backends").responseOverride.push({ match: { statusCodes: [{ type: "Value", value: 503 }] },
      response: { contentType: "application/problem+json", body: { type: "Inline", inline: JSON.stringify({ type: "about:blank", title: "Service Unavailable", status: 503, detail: "The gateway cannot serve this request now." }) } } });
  }],
  ["an override rewriting the services' own 404s", (o) => {
    policy(o, "metered-backends").responseOverride.push({ match: { statusCodes: [{ type: "Value", value: 404 }] },
      response: { contentType: "application/problem+json", body: { type: "Inline", inline: JSON.stringify({ type: "about:blank", title: "Not Found", status: 404, detail: "No public route matches this path." }) } } });
  }],
  ["an override of every 5xx", (o) => { override(o, "metered-backends", 504).match.statusCodes = [{ type: "Range", range: { start: 500, end: 599 } }]; }],
  ["an override rewriting auth-service's own 429", (o) => {
    policy(o, "auth-service").responseOverride.push(structuredClone(override(o, "metered-backends", 429)));
  }],
  ["an override rewriting billing-service's own 502", (o) => { delete policy(o, "billing-service").responseOverride; }],
  ["a route policy without mergeType, replacing the Gateway's", (o) => { delete policy(o, "ops-service").mergeType; }],
  ["mergeType on the Gateway's policy", (o) => { policy(o, "metered-backends").mergeType = "JSONMerge"; }],
  ["two policies for one route", (o) => {
    const copy = structuredClone(find(o, "BackendTrafficPolicy", "billing-service"));
    copy.metadata.name = "billing-service-again";
    o.push(copy);
  }],
  ["Envoy's 429 on the ops route left as text/plain", (o) => { withoutOverride(o, "metered-backends", 429); }],
  ["a 429 override with another type than the services'", (o) => {
    const body = override(o, "metered-backends", 429).response.body;
    body.inline = body.inline.replace("urn:metered:problem:rate-limited", "about:blank");
  }],
  ["a 429 override without Retry-After", (o) => { delete override(o, "metered-backends", 429).response.header; }],
  // rate limits at the edge
  ["no rate limit on login", (o) => {
    const local = policy(o, "auth-service").rateLimit.local;
    local.rules = local.rules.filter((r) => !r.clientSelectors.some((c) => c.path?.value === "/api/auth/login"));
  }],
  ["no rate limit on the admin API", (o) => { delete policy(o, "ops-service").rateLimit; }],
  ["a login limit above 20 a minute", (o) => { for (const r of limitRules(o, "auth-service", "/api/auth/login")) r.limit.requests = 200; }],
  ["a register limit per hour (a burst of 1200)", (o) => {
    for (const r of limitRules(o, "auth-service", "/api/auth/register")) r.limit = { requests: 1200, unit: "Hour" };
  }],
  ["an admin limit of 3 a second", (o) => { for (const r of limitRules(o, "ops-service", "/api/ops")) r.limit = { requests: 3, unit: "Second" }; }],
  ["one bucket for all clients of login", (o) => { for (const r of limitRules(o, "auth-service", "/api/auth/login")) r.clientSelectors[0].sourceCIDR.type = "Exact"; }],
  ["a register limit for IPv4 clients only", (o) => {
    const local = policy(o, "auth-service").rateLimit.local;
    local.rules = local.rules.filter((r) => !r.clientSelectors.some((c) => c.path?.value === "/api/auth/register" && c.sourceCIDR?.value === "::/0"));
  }],
  ["a login limit on an Exact path (?query slips past)", (o) => { for (const r of limitRules(o, "auth-service", "/api/auth/login")) r.clientSelectors[0].path.type = "Exact"; }],
  ["a login limit on GET only", (o) => { for (const r of limitRules(o, "auth-service", "/api/auth/login")) r.clientSelectors[0].methods = [{ value: "GET" }]; }],
  ["a login limit only for clients sending a header", (o) => {
    for (const r of limitRules(o, "auth-service", "/api/auth/login")) r.clientSelectors[0].headers = [{ name: "x-client", type: "Exact", value: "web" }];
  }],
  ["an admin limit on another path", (o) => { for (const r of limitRules(o, "ops-service", "/api/ops")) r.clientSelectors[0].path.value = "/api/opsx"; }],
  ["an unknown property in a rate limit rule", (o) => { limitRules(o, "ops-service", "/api/ops")[0].clientSelectors[0].sourceCidr = { type: "Distinct", value: "0.0.0.0/0" }; }],
  ["the client's X-Forwarded-For passed on", (o) => { delete find(o, "ClientTrafficPolicy").spec.headers; }],
  ["X-Forwarded-For hops trusted", (o) => { find(o, "ClientTrafficPolicy").spec.clientIPDetection = { xForwardedFor: { numTrustedHops: 1 } }; }],
  ["CORS at the gateway", (o) => { routeRule(o, "auth-service").filters = [{ type: "ResponseHeaderModifier", responseHeaderModifier: { set: [{ name: "Access-Control-Allow-Origin", value: "*" }] } }]; }],
  ["the bootstrap SQL differing from db/bootstrap.sql", (o) => { find(o, "ConfigMap", "metered-db-bootstrap").data["bootstrap.sql"] += "\n-- drift\n"; }],
  ["a managed role without its password Secret", (o) => { delete find(o, "Cluster").spec.managed.roles[2].passwordSecret; }],
  ["the pooler in session mode", (o) => { find(o, "Pooler").spec.pgbouncer.poolMode = "session"; }],
  ["no backups", (o) => { delete find(o, "Cluster").spec.backup; }],
  ["a single PostgreSQL instance in production", (o) => { find(o, "Cluster").spec.instances = 1; }],
  ["no default-deny ingress", (o) => { o.splice(o.indexOf(find(o, "NetworkPolicy", "default-deny-ingress")), 1); }],
  ["PostgreSQL open to every pod", (o) => { delete find(o, "NetworkPolicy", "database-ingress").spec.ingress[0].from; }],
  ["the gateway cut off from a service", (o) => { find(o, "NetworkPolicy", "jobs-service-ingress").spec.ingress.shift(); }],
  ["a service reaching another's port", (o) => { find(o, "NetworkPolicy", "services-egress-jwks").spec.egress[0].ports = []; find(o, "NetworkPolicy", "billing-service-ingress").spec.ingress.push({ from: [{ podSelector: {} }] }); }],
  ["billing cut off from Stripe", (o) => { o.splice(o.indexOf(find(o, "NetworkPolicy", "services-egress-provider-apis")), 1); }],
  ["no PodDisruptionBudget", (o) => { o.splice(o.indexOf(find(o, "PodDisruptionBudget", "ops-service")), 1); }],
  ["no Prometheus scraping", (o) => { find(o, "ServiceMonitor").spec.endpoints[0].path = "/metrics"; }],
  ["production replicas not spread", (o) => { delete find(o, "Deployment", "billing-service").spec.template.spec.topologySpreadConstraints; }],
];

const base = await checkObjects("production", structuredClone(pristine));
if (base.problems.length > 0) {
  console.log(`FAIL selftest: the unmodified rendering fails:\n  - ${base.problems.join("\n  - ")}`);
  process.exit(1);
}
const missed = [];
for (const [what, mutate] of mutations) {
  const objects = structuredClone(pristine);
  mutate(objects);
  const { problems } = await checkObjects("production", objects);
  if (problems.length === 0) missed.push(what);
}
if (missed.length > 0) {
  console.log(`FAIL selftest: ${missed.length} of ${mutations.length} deliberate breakages went unnoticed:`);
  for (const what of missed) console.log(`  - ${what}`);
  process.exit(1);
}
console.log(`ok   selftest: ${mutations.length} deliberate breakages of the production rendering, each caught`);
