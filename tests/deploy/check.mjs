// Offline validation of the rendered Kubernetes delivery (run by bin/check-deploy):
//
//   node check.mjs ROOT NAME=RENDERED.yaml...
//
// NAME is "base" or an overlay's directory name; RENDERED.yaml is `kubectl kustomize` output.
// Every object is validated against its schema (strictly: unknown properties fail, see
// schema.mjs), then the consistency checks below run against what the repository says
// (repo.mjs, routes.mjs, problems.mjs). Prints one summary line per rendering; exits 1 on any
// failure.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { parseAllDocuments } from "yaml";
import { validateObject } from "./schema.mjs";
import { bytes, placeholderOrInClusterHost, readQueueDepthView, readServiceStatuses, readServices, readsVariable } from "./repo.mjs";
import { PROBLEM_JSON, readGatewayProblems } from "./problems.mjs";
import { readRoutes, UNROUTED } from "./routes.mjs";
import { connectionAllowed, selectorMatches } from "./netpol.mjs";

const NAMESPACE = "metered";
const CLUSTER_SCOPED = new Set(["Namespace", "GatewayClass"]);
const ENVOY_CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller";
const IMAGE_REGISTRY_PLACEHOLDER = "registry.example.com";
// Variables that hold secrets: only ever from a Secret (secretKeyRef), never a literal or a ConfigMap.
const SECRET_NAME = /(TOKEN|SECRET|SECRET_KEY|PASSWORD|PRIVATE_KEY|DSN)$/;
// Probes: exactly these, on the service's own port.
const PROBES = {
  startupProbe: "/q/health/started",
  livenessProbe: "/q/health/live",
  readinessProbe: "/q/health/ready",
};

// How Envoy Gateway answers each error the local nginx gateway answers itself with problem+json
// (bin/gateway-config, read by problems.mjs). Every status there must be listed here, and the
// rendering must do what the entry says:
//   unrouted  the catch-all HTTPRoute answers it (an HTTPRouteFilter direct response, nginx's body);
//   override  a responseOverride with nginx's body on every route whose service does not answer
//             the status itself, and none on a route whose service does (a responseOverride
//             matches the services' responses too: it would rewrite their problem bodies);
//   none      no responseOverride on any route; `why` says why Envoy's own reply stays as it is.
const ENVOY_PROBLEMS = {
  400: { how: "none", why: "Envoy answers a malformed request before routing, where no override applies, and the services answer 400 themselves, with field errors" },
  404: { how: "unrouted", why: "the services answer 404 themselves, with a detail; unrouted paths get the catch-all route's 404" },
  405: { how: "none", why: "the services answer 405 themselves (a method the path does not serve); Envoy answers none" },
  408: { how: "override", why: "Envoy answers it when a request has not arrived within requestReceivedTimeout" },
  413: { how: "override", why: "Envoy's request buffer answers it" },
  414: { how: "none", why: "Envoy has no request-line limit of its own: a request target over its 60 KiB of headers gets its 431, before routing; the services take request lines up to 64K, so they never answer 414 behind it" },
  431: { how: "override", why: "the services' HTTP server answers headers over its limit with an empty 431 (64K: above Envoy's 60 KiB, so only if that changes)" },
  500: { how: "none", why: "the services answer 500 themselves, with a reference id; Envoy's own failures are 502, 503 and 504" },
  502: { how: "override", why: "Envoy answers it for an upstream response it cannot parse" },
  503: { how: "none", why: "every service answers 503 itself, and Envoy Gateway 1.7's responseOverride cannot tell Envoy's own 503 from theirs (1.8 adds source: Local)" },
  504: { how: "override", why: "Envoy's request timeout answers it" },
};
// Errors only Envoy answers (the local gateway has no rate limits): problem+json with `type` the
// services' own for that status, and Retry-After, on every route with a rate limit whose service
// does not answer the status itself.
const ENVOY_ONLY_PROBLEMS = {
  429: { how: "override", title: "Too Many Requests", why: "Envoy's rate limits answer it", retryAfter: true },
};
// Rate limits at the edge, per client address: for each path (routes.tsv must route it), on its
// route, a Local rule per address family that gives every address its own bucket (sourceCIDR
// Distinct over the whole family) and allows at most `perMinute` requests a minute, also as a
// burst; `method`: the rule may count only that method.
const EDGE_RATE_LIMITS = [
  { path: "/api/auth/login", method: "POST", perMinute: 20, why: "protects auth-service's Argon2 pool and the database" },
  { path: "/api/auth/register", method: "POST", perMinute: 20, why: "protects auth-service's Argon2 pool and the database" },
  { path: "/api/ops", perMinute: 120, why: "every refused admin call writes an audit row" },
];
const ADDRESS_FAMILIES = { "0.0.0.0/0": "IPv4", "::/0": "IPv6" };
const UNIT_SECONDS = { Second: 1, Minute: 60, Hour: 3600, Day: 86400, Month: 2592000, Year: 31536000 };

// What the repository says, read once per run.
let services, modules, routes, queueView, bootstrapSql, gatewayProblems, serviceStatuses;
export function loadRepository(root) {
  services = readServices(root);
  modules = Object.keys(services);
  routes = readRoutes(join(root, "deploy/gateway/routes.tsv"));
  queueView = readQueueDepthView(root);
  bootstrapSql = readFileSync(join(root, "db/bootstrap.sql"), "utf8");
  gatewayProblems = readGatewayProblems(join(root, "bin/gateway-config"));
  serviceStatuses = readServiceStatuses(root, modules);
}

// ---------------------------------------------------------------------------------------------
// helpers

export function objectsOf(file) {
  return parseAllDocuments(readFileSync(file, "utf8"))
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
      return doc.toJS();
    })
    .filter((o) => o !== null && o !== undefined);
}

const id = (o) => `${o.kind}/${o.metadata?.name}`;
const labelsOf = (o) => o.metadata?.labels ?? {};

// Deployments and Jobs of the five services, with their module found from the pod's name label.
function workloads(objects) {
  return objects
    .filter((o) => o.kind === "Deployment" || o.kind === "Job")
    .map((o) => {
      const podLabels = o.spec?.template?.metadata?.labels ?? {};
      return { object: o, podLabels, module: podLabels["app.kubernetes.io/name"], pod: o.spec?.template?.spec ?? {} };
    });
}

// The container's effective environment: [{ name, value?, valueFrom?, from }] in the order the
// kubelet defines them (envFrom first, then env).
function environment(container, objects, fail) {
  const vars = [];
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) {
      const cm = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === source.configMapRef.name);
      if (!cm) {
        fail(`container ${container.name}: envFrom ConfigMap ${source.configMapRef.name} is not in the rendering`);
        continue;
      }
      for (const [name, value] of Object.entries(cm.data ?? {})) vars.push({ name, value, from: `ConfigMap ${cm.metadata.name}` });
    } else {
      fail(`container ${container.name}: envFrom other than a ConfigMap hides which variables are set`);
    }
  }
  for (const entry of container.env ?? []) vars.push({ ...entry, from: "env" });
  return vars;
}

function effective(vars, name) {
  const matches = vars.filter((v) => v.name === name);
  return matches.length > 0 ? matches[matches.length - 1] : undefined;
}

// $(NAME) references of a value (Kubernetes expansion; $$ escapes).
function references(value) {
  return [...String(value ?? "").matchAll(/(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)].map((m) => m[1]);
}

// postgresql://user:pass@host:port/db?params, with $(VAR)s left as they are.
function parsePgUrl(value) {
  const m = /^postgresql:\/\/([^:@/]+):([^@/]*)@([^:/?]+):([0-9]+)\/([^?]+)(\?.*)?$/.exec(value ?? "");
  return m ? { user: m[1], password: m[2], host: m[3], port: Number(m[4]), database: m[5] } : null;
}

// Every string in an object, with its path.
function* strings(value, path = "") {
  if (typeof value === "string") yield [path, value];
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* strings(v, `${path}/${i}`);
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) yield* strings(v, `${path}/${k}`);
}

// RFC 7386 JSON merge patch: objects merge, anything else (lists included) is replaced, null
// deletes. Envoy Gateway merges a route's BackendTrafficPolicy into the Gateway's this way
// (mergeType JSONMerge; StrategicMerge also replaces lists the CRD types give no merge key).
function mergePatch(target, patch) {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return structuredClone(patch);
  const out = target && typeof target === "object" && !Array.isArray(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

// Whether a Gateway API PathPrefix `prefix` (whole path elements) covers `path`.
const prefixCovers = (prefix, path) => prefix === "/" || path === prefix.replace(/\/$/, "") ||
  path.startsWith(prefix.replace(/\/$/, "") + "/");

// ---------------------------------------------------------------------------------------------
// the checks of one rendering

// Checks the objects of one rendering; returns { problems, checks }.
export async function checkObjects(name, objects) {
  const isOverlay = name !== "base";
  const problems = [];
  let checks = 0;
  const fail = (message) => { if (!problems.includes(message)) problems.push(message); };
  const check = (condition, message) => {
    checks++;
    if (!condition) fail(message);
    return condition;
  };

  const byKind = (kind) => objects.filter((o) => o.kind === kind);
  const named = (kind, n) => objects.find((o) => o.kind === kind && o.metadata?.name === n);

  // -- 1. schemas, strictly ---------------------------------------------------------------------
  for (const object of objects) {
    for (const problem of await validateObject(object)) fail(`${id(object)}: ${problem}`);
    checks++;
  }

  // -- 2. namespaces, forbidden objects, secrets, registries ----------------------------------------
  for (const object of objects) {
    if (CLUSTER_SCOPED.has(object.kind)) {
      check(object.metadata.namespace === undefined, `${id(object)} is cluster-scoped but has a namespace`);
    } else {
      check(object.metadata.namespace === NAMESPACE, `${id(object)} is not in namespace ${NAMESPACE}`);
    }
    check(object.kind !== "Ingress", `${id(object)}: no Ingress objects (the Gateway API is the entry)`);
    if (object.kind === "Secret") {
      check(object.data === undefined && object.stringData === undefined,
        `${id(object)}: literal Secret data in the manifests (Secrets are created by operators)`);
    }
    // alert rules and dashboards (kept by the monitoring owner) may link to documentation
    const mayLink = object.kind === "PrometheusRule" ||
      (object.kind === "ConfigMap" && Object.keys(object.data ?? {}).some((k) => k.endsWith(".json")));
    for (const [path, value] of strings(object)) {
      const key = path.split("/").pop();
      if (key === "image" || key === "imageName") {
        const first = value.split("/")[0];
        const hasHost = value.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
        check(!hasHost || first === IMAGE_REGISTRY_PLACEHOLDER,
          `${id(object)}${path}: image ${value} names a registry host`);
      }
      if (mayLink) continue;
      for (const url of value.matchAll(/\b(https?|postgres(?:ql)?):\/\/(?:[^@/\s]*@)?([^/:?\s"']+)/g)) {
        check(placeholderOrInClusterHost(url[2]), `${id(object)}${path}: URL host ${url[2]} is neither in-cluster nor a placeholder`);
      }
    }
  }
  const cnpgCluster = byKind("Cluster")[0];
  check(byKind("Cluster").length === 1, `expected one CloudNativePG Cluster, found ${byKind("Cluster").length}`);
  check(cnpgCluster?.spec?.imageName === undefined && cnpgCluster?.spec?.imageCatalogRef === undefined,
    "Cluster: leave the PostgreSQL image to the operator's default (no imageName)");

  // -- 3. the database ----------------------------------------------------------------------------
  const dbName = cnpgCluster?.spec?.bootstrap?.initdb?.database;
  check(dbName === "metered", `Cluster: bootstrap.initdb.database is ${dbName}, not metered`);
  const rwHost = `${cnpgCluster?.metadata?.name}-rw`;
  const refs = cnpgCluster?.spec?.bootstrap?.initdb?.postInitApplicationSQLRefs?.configMapRefs ?? [];
  check(refs.length === 1, "Cluster: postInitApplicationSQLRefs must name the bootstrap ConfigMap");
  for (const ref of refs) {
    const cm = named("ConfigMap", ref.name);
    check(cm?.data?.[ref.key] === bootstrapSql,
      `ConfigMap ${ref.name} key ${ref.key} differs from db/bootstrap.sql (run bin/check-deploy --sync)`);
    check(labelsOf(cm ?? {})["app.kubernetes.io/component"] === "database",
      `ConfigMap ${ref.name}: label app.kubernetes.io/component=database (first install applies it with the database)`);
  }
  const roles = new Map((cnpgCluster?.spec?.managed?.roles ?? []).map((r) => [r.name, r]));
  for (const module of modules) {
    const role = roles.get(`metered_${services[module].short}`);
    check(role && role.login === true && role.superuser !== true && role.ensure !== "absent" && role.passwordSecret?.name,
      `Cluster: managed role metered_${services[module].short} must log in, not be superuser, and take its password from a Secret`);
  }
  const barman = cnpgCluster?.spec?.backup?.barmanObjectStore;
  check(barman?.destinationPath && barman?.s3Credentials, "Cluster: backups to object storage (backup.barmanObjectStore) with credentials");
  check(byKind("ScheduledBackup").some((b) => b.spec.cluster?.name === cnpgCluster?.metadata?.name),
    "a ScheduledBackup of the Cluster");
  for (const kind of ["Cluster", "Pooler", "ScheduledBackup"]) {
    for (const o of byKind(kind)) {
      check(labelsOf(o)["app.kubernetes.io/component"] === "database", `${id(o)}: label app.kubernetes.io/component=database`);
    }
  }
  const pooler = byKind("Pooler").find((p) => p.spec.cluster?.name === cnpgCluster?.metadata?.name && (p.spec.type ?? "rw") === "rw");
  check(pooler, "a Pooler (type rw) for the Cluster");
  const poolerHost = pooler?.metadata?.name;
  check(pooler?.spec?.pgbouncer?.poolMode === "transaction", "Pooler: pgbouncer.poolMode transaction");
  check(Number(pooler?.spec?.pgbouncer?.parameters?.max_prepared_statements) > 0,
    "Pooler: pgbouncer max_prepared_statements must be set (the clients use prepared statements)");
  if (name === "production") {
    check(cnpgCluster?.spec?.instances >= 3, "production: the Cluster has at least 3 instances");
    check(cnpgCluster?.spec?.affinity?.enablePodAntiAffinity === true, "production: PostgreSQL instances on separate nodes");
  }
  const namespaceObject = named("Namespace", NAMESPACE);
  check(namespaceObject && labelsOf(namespaceObject)["app.kubernetes.io/component"] === "namespace",
    "Namespace metered with label app.kubernetes.io/component=namespace (first install applies it first)");

  // -- 4. the workloads -----------------------------------------------------------------------------
  const all = workloads(objects);
  for (const w of all) check(modules.includes(w.module), `${id(w.object)}: pod label app.kubernetes.io/name ${w.module} is not a service`);
  const deploymentOf = {};
  for (const module of modules) {
    const deployments = all.filter((w) => w.module === module && w.object.kind === "Deployment");
    const jobs = all.filter((w) => w.module === module && w.object.kind === "Job");
    check(deployments.length === 1, `${module}: expected one Deployment, found ${deployments.length}`);
    check(jobs.length === 1, `${module}: expected one migration Job, found ${jobs.length}`);
    deploymentOf[module] = deployments[0];
  }
  const tagged = (image) => /:[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(image) && !image.endsWith(":latest");

  for (const w of all.filter((w) => modules.includes(w.module))) {
    const service = services[w.module];
    const where = `${id(w.object)}`;
    const isJob = w.object.kind === "Job";
    const containers = w.pod.containers ?? [];
    check(containers.length === 1, `${where}: one container`);
    check((w.pod.initContainers ?? []).length === 0, `${where}: no init containers`);

    // security
    const podSecurity = w.pod.securityContext ?? {};
    check(w.pod.automountServiceAccountToken === false, `${where}: automountServiceAccountToken false (no API access needed)`);
    const tmpVolumes = new Set((w.pod.volumes ?? []).filter((v) => v.emptyDir).map((v) => v.name));
    for (const c of containers) {
      const sc = c.securityContext ?? {};
      const at = `${where} container ${c.name}`;
      check(c.name === w.module, `${at}: container name is the module's, ${w.module}`);
      const imagePattern = new RegExp(`^(${IMAGE_REGISTRY_PLACEHOLDER.replace(/\./g, "\\.")}/)?metered/${w.module}(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$`);
      check(imagePattern.test(c.image ?? ""), `${at}: image ${c.image} is not metered/${w.module}`);
      if (isOverlay) check(tagged(c.image ?? ""), `${at}: image ${c.image} has no pinned tag`);
      check((sc.runAsNonRoot ?? podSecurity.runAsNonRoot) === true, `${at}: runAsNonRoot`);
      check(sc.readOnlyRootFilesystem === true, `${at}: readOnlyRootFilesystem`);
      check(sc.allowPrivilegeEscalation === false, `${at}: allowPrivilegeEscalation false`);
      check((sc.capabilities?.drop ?? []).includes("ALL") && !(sc.capabilities?.add?.length > 0), `${at}: drop ALL capabilities`);
      check((sc.seccompProfile ?? podSecurity.seccompProfile)?.type === "RuntimeDefault", `${at}: seccomp RuntimeDefault`);
      check((c.volumeMounts ?? []).some((m) => m.mountPath === "/tmp" && tmpVolumes.has(m.name)),
        `${at}: an emptyDir at /tmp (Quarkus and Vert.x write there; the root filesystem is read-only)`);
      for (const kind of ["requests", "limits"]) {
        check(c.resources?.[kind]?.cpu && c.resources?.[kind]?.memory, `${at}: resources.${kind} cpu and memory`);
      }

      // ports and probes
      for (const p of c.ports ?? []) {
        check(p.containerPort === service.port, `${at}: containerPort ${p.containerPort} is not quarkus.http.port ${service.port}`);
      }
      const namedPorts = Object.fromEntries((c.ports ?? []).filter((p) => p.name).map((p) => [p.name, p.containerPort]));
      if (!isJob) {
        check((c.ports ?? []).length === 1 && c.ports[0].name === "http", `${at}: one container port, named http`);
        for (const [probe, path] of Object.entries(PROBES)) {
          const get = c[probe]?.httpGet;
          const port = typeof get?.port === "string" ? namedPorts[get.port] : get?.port;
          check(get?.path === path, `${at}: ${probe} must be an httpGet of ${path} (is ${get?.path})`);
          check(port === service.port, `${at}: ${probe} port ${get?.port} is not quarkus.http.port ${service.port}`);
        }
        check(c.livenessProbe?.httpGet?.path !== "/q/health/ready",
          `${at}: liveness must not use readiness (/q/health/ready checks the database)`);
      }

      // environment
      const vars = environment(c, objects, (m) => fail(`${where}: ${m}`));
      const defined = new Set();
      const counts = new Map();
      for (const v of vars) counts.set(v.name, (counts.get(v.name) ?? 0) + 1);
      for (const v of vars) {
        for (const ref of references(v.value)) {
          check(defined.has(ref), `${at}: ${v.name} uses $(${ref}) before ${ref} is defined`);
        }
        defined.add(v.name);
      }
      const helpers = new Set(vars.flatMap((v) => references(v.value)));
      for (const v of vars) {
        check(counts.get(v.name) === 1, `${at}: ${v.name} is set more than once`);
        check(readsVariable(service, v.name) || helpers.has(v.name),
          `${at}: ${v.name} (${v.from}) is not read by ${w.module}`);
        if (SECRET_NAME.test(v.name)) {
          check(v.valueFrom?.secretKeyRef !== undefined, `${at}: ${v.name} must come from a Secret (secretKeyRef), not ${v.from === "env" ? "a literal" : v.from}`);
        }
      }
      const required = isJob ? service.requiredAtStartup : service.requiredToServe;
      for (const needed of required) {
        const v = effective(vars, needed);
        check(v && (v.value !== undefined && v.value !== "" || v.valueFrom && v.valueFrom.secretKeyRef?.optional !== true),
          `${at}: ${needed} is required by ${w.module} and not set (or only optionally)`);
      }
      if (isJob) {
        check((c.env ?? []).every((e) => !e.valueFrom?.configMapKeyRef) && !(c.envFrom?.length > 0),
          `${at}: a migration Job must not use ConfigMaps (it is applied alone, before them)`);
      }

      // the database connection: own role, pooler for requests, primary for sessions
      const databaseUrl = effective(vars, "DATABASE_URL");
      const url = parsePgUrl(databaseUrl?.value);
      const role = `metered_${service.short}`;
      if (check(url, `${at}: DATABASE_URL is not postgresql://USER:PASSWORD@HOST:PORT/DB: ${databaseUrl?.value}`)) {
        check(url.user === role, `${at}: DATABASE_URL connects as ${url.user}, not ${role}`);
        check(url.database === dbName && url.port === 5432, `${at}: DATABASE_URL must name database ${dbName} on port 5432`);
        const expectedHost = isJob ? rwHost : poolerHost;
        check(url.host === expectedHost, `${at}: DATABASE_URL host ${url.host} should be ${expectedHost} (${isJob ? "Flyway needs a session: the primary" : "requests go through the Pooler"})`);
        const passwordVar = references(url.password)[0];
        const secretRef = effective(vars, passwordVar)?.valueFrom?.secretKeyRef;
        check(secretRef && secretRef.name === roles.get(role)?.passwordSecret?.name,
          `${at}: the DATABASE_URL password must come from ${role}'s Secret ${roles.get(role)?.passwordSecret?.name} (the one CloudNativePG sets it from)`);
      }
      const listen = effective(vars, "DATABASE_LISTEN_URL");
      if (listen) {
        const listenUrl = parsePgUrl(listen.value);
        check(listenUrl?.host === rwHost && listenUrl?.user === role,
          `${at}: DATABASE_LISTEN_URL must go straight to ${rwHost} as ${role} (LISTEN breaks through a transaction-mode pooler)`);
      } else {
        check(isJob || !service.reads.has("DATABASE_LISTEN_URL"),
          `${at}: ${w.module} LISTENs: set DATABASE_LISTEN_URL to ${rwHost} (else it LISTENs through the pooler)`);
      }

      const value = (n) => effective(vars, n)?.value;
      if (isJob) {
        check(value("METERED_MIGRATE_AT_START") === "true" && value("QUARKUS_INIT_AND_EXIT") === "true",
          `${at}: a migration Job runs with METERED_MIGRATE_AT_START=true and QUARKUS_INIT_AND_EXIT=true`);
      } else {
        check(value("METERED_MIGRATE_AT_START") === "false", `${at}: web Deployments run with METERED_MIGRATE_AT_START=false`);
        check(value("ALLOW_LOCALHOST_ORIGINS") === "false" && value("ALLOW_NULL_ORIGIN") === "false",
          `${at}: ALLOW_LOCALHOST_ORIGINS and ALLOW_NULL_ORIGIN must be false`);
        if (isOverlay) {
          const origins = (value("CORS_ALLOW_ORIGINS") ?? "").split(",").filter(Boolean);
          check(origins.length > 0 && origins.every((o) => /^https:\/\/[^/*]+$/.test(o)),
            `${at}: CORS_ALLOW_ORIGINS must list https origins (is ${value("CORS_ALLOW_ORIGINS")})`);
        }
        if (w.module === "worker-service") {
          check(value("MVP_WORKER_ENABLED") === "true", `${at}: the worker runs with MVP_WORKER_ENABLED=true`);
          check(effective(vars, "WORKER_ID")?.valueFrom?.fieldRef?.fieldPath === "metadata.name",
            `${at}: WORKER_ID from the pod's name (downward API)`);
          const grace = Number(value("WORKER_SHUTDOWN_GRACE_SECONDS") ?? service.defaults.get("WORKER_SHUTDOWN_GRACE_SECONDS"));
          check(w.pod.terminationGracePeriodSeconds >= grace + 10,
            `${at}: terminationGracePeriodSeconds ${w.pod.terminationGracePeriodSeconds} leaves no room to hand jobs back after WORKER_SHUTDOWN_GRACE_SECONDS ${grace}`);
        } else if (readsVariable(service, "MVP_WORKER_ENABLED")) {
          check(value("MVP_WORKER_ENABLED") === "false", `${at}: web services run with MVP_WORKER_ENABLED=false`);
        }
      }
    }

    if (isJob) {
      const job = w.object;
      check(labelsOf(job)["app.kubernetes.io/component"] === "migration" && w.podLabels["app.kubernetes.io/component"] === "migration",
        `${where}: label app.kubernetes.io/component=migration on the Job and its pods`);
      check(Number.isInteger(job.spec.ttlSecondsAfterFinished) && Number.isInteger(job.spec.backoffLimit),
        `${where}: ttlSecondsAfterFinished and backoffLimit`);
      check(["Never", "OnFailure"].includes(w.pod.restartPolicy), `${where}: restartPolicy Never or OnFailure`);
    } else {
      if (isOverlay && name === "production") {
        check((w.pod.topologySpreadConstraints ?? []).length > 0 || w.pod.affinity?.podAntiAffinity,
          `${where}: production spreads replicas (topologySpreadConstraints or podAntiAffinity)`);
      }
      if (w.module === "worker-service") {
        check(w.object.spec.replicas === undefined, `${where}: no replicas (the ScaledObject owns the count)`);
      }
    }
  }
  // `kubectl apply -l app.kubernetes.io/component=migration` applies exactly the migration Jobs
  for (const o of objects.filter((o) => labelsOf(o)["app.kubernetes.io/component"] === "migration")) {
    check(o.kind === "Job", `${id(o)}: only migration Jobs carry app.kubernetes.io/component=migration`);
  }

  // -- 5. Services, disruption budgets, scraping ---------------------------------------------------
  for (const module of modules) {
    const w = deploymentOf[module];
    if (!w) continue;
    const port = services[module].port;
    const matching = byKind("Service").filter((s) => s.spec.selector && selectorMatches({ matchLabels: s.spec.selector }, w.podLabels));
    check(matching.length === 1 && matching[0].metadata.name === module, `${module}: exactly one Service, named ${module}, selects its pods`);
    for (const s of matching) {
      for (const job of all.filter((j) => j.object.kind === "Job")) {
        check(!selectorMatches({ matchLabels: s.spec.selector }, job.podLabels), `Service ${s.metadata.name} selects migration pods of ${job.object.metadata.name}`);
      }
      for (const p of s.spec.ports ?? []) {
        const target = typeof p.targetPort === "string"
          ? w.pod.containers?.[0]?.ports?.find((cp) => cp.name === p.targetPort)?.containerPort
          : p.targetPort ?? p.port;
        check(p.port === port && target === port, `Service ${s.metadata.name}: port ${p.port} -> ${p.targetPort} must be ${port} -> ${port}`);
      }
    }
    check(byKind("PodDisruptionBudget").some((b) => selectorMatches(b.spec.selector, w.podLabels)), `${module}: a PodDisruptionBudget`);
    const scraped = byKind("ServiceMonitor").some((sm) => matching.some((s) => selectorMatches(sm.spec.selector, labelsOf(s)) &&
        (sm.spec.endpoints ?? []).some((e) => e.path === "/q/metrics" && s.spec.ports.some((p) => p.name === e.port)))) ||
      byKind("PodMonitor").some((pm) => selectorMatches(pm.spec.selector, w.podLabels) &&
        (pm.spec.podMetricsEndpoints ?? []).some((e) => e.path === "/q/metrics"));
    check(scraped, `${module}: scraped by Prometheus on /q/metrics (ServiceMonitor or PodMonitor)`);
  }

  // -- 6. gateway and routes -----------------------------------------------------------------------
  const gateways = byKind("Gateway");
  check(gateways.length === 1, `expected one Gateway, found ${gateways.length}`);
  const gateway = gateways[0];
  const https = gateway?.spec?.listeners?.find((l) => l.protocol === "HTTPS");
  const http = gateway?.spec?.listeners?.find((l) => l.protocol === "HTTP");
  check(https && https.port === 443 && https.tls?.certificateRefs?.length > 0, "Gateway: an HTTPS listener on 443 with a certificate");
  check(http, "Gateway: an HTTP listener (redirects to HTTPS)");
  if (isOverlay) {
    const gc = named("GatewayClass", gateway?.spec?.gatewayClassName);
    check(gc?.spec?.controllerName === ENVOY_CONTROLLER, `GatewayClass ${gateway?.spec?.gatewayClassName}: controllerName ${ENVOY_CONTROLLER}`);
  }
  const attachedTo = (route, listener) => (route.spec.parentRefs ?? []).some((p) =>
    p.name === gateway?.metadata?.name && (p.sectionName === undefined || p.sectionName === listener?.name));
  const served = [];
  const noBackend = [];
  for (const route of byKind("HTTPRoute")) {
    for (const rule of route.spec.rules ?? []) {
      for (const filter of rule.filters ?? []) {
        check(filter.type !== "CORS" && !JSON.stringify(filter).toLowerCase().includes("access-control-"),
          `${id(route)}: no CORS at the gateway (the services answer CORS themselves)`);
        if (filter.type === "ExtensionRef") {
          const ref = filter.extensionRef ?? {};
          // Envoy Gateway answers every rule of a route with a missing filter with an error
          check(ref.group === "gateway.envoyproxy.io" && ref.kind === "HTTPRouteFilter" && named("HTTPRouteFilter", ref.name),
            `${id(route)}: ExtensionRef ${ref.kind}/${ref.name} is not an HTTPRouteFilter of the rendering`);
        }
      }
      const backends = rule.backendRefs ?? [];
      if (backends.length === 0) {
        if (!(rule.filters ?? []).some((f) => f.type === "RequestRedirect" && f.requestRedirect?.scheme === "https")) {
          noBackend.push({ route, rule });
        }
        continue;
      }
      check(!attachedTo(route, http) || http?.name === https?.name, `${id(route)}: services are never served over plain HTTP`);
      check(backends.length === 1, `${id(route)}: one backend per rule`);
      for (const match of rule.matches?.length ? rule.matches : [{}]) {
        served.push({
          match: match.path?.type ?? "PathPrefix",
          path: match.path?.value ?? "/",
          service: backends[0].name,
          port: backends[0].port,
          attached: attachedTo(route, https),
          route: id(route),
          routeObject: route,
          rule,
        });
      }
    }
  }
  const key = (r) => `${r.match} ${r.path} -> ${r.service}:${r.port}`;
  const want = routes.map(key).sort();
  const have = served.map(key).sort();
  check(JSON.stringify(want) === JSON.stringify(have),
    `HTTPRoutes differ from deploy/gateway/routes.tsv (run bin/check-deploy --sync):\n      routes.tsv: ${want.join("; ")}\n      HTTPRoutes: ${have.join("; ")}`);
  for (const r of served) {
    check(r.attached, `${r.route}: ${key(r)} is not attached to the Gateway's HTTPS listener`);
    check(!r.path.startsWith("/q"), `${r.route}: ${r.path}: /q/* must never be routed from outside`);
    check(modules.includes(r.service) && services[r.service].port === r.port, `${r.route}: ${key(r)}: port is not ${r.service}'s quarkus.http.port`);
    const svc = named("Service", r.service);
    check(svc?.spec?.ports?.some((p) => p.port === r.port), `${r.route}: no Service ${r.service} with port ${r.port}`);
  }

  // A body Envoy sends for a status the local gateway answers must be the same problem as nginx's
  // (bin/gateway-config); for a status only Envoy answers, a problem of the services' own type.
  // Inline, or from a ConfigMap (key response.body, else its first value, as Envoy Gateway reads it).
  const nginxProblem = Object.fromEntries(gatewayProblems.map((p) => [p.status, p]));
  const bodyText = (body, where) => {
    if ((body?.type ?? "Inline") === "Inline") return body?.inline;
    const cm = named("ConfigMap", body?.valueRef?.name);
    if (!check(body?.valueRef?.kind === "ConfigMap" && cm, `${where}: body valueRef ${body?.valueRef?.kind}/${body?.valueRef?.name} is not a ConfigMap of the rendering`)) return undefined;
    return cm.data?.["response.body"] ?? Object.values(cm.data ?? {})[0];
  };
  const checkProblemBody = (text, status, where) => {
    let parsed;
    try {
      parsed = JSON.parse(text ?? "");
    } catch {
      return check(false, `${where}: the ${status} body is not JSON: ${text}`);
    }
    // Envoy expands %COMMAND% operators in these bodies
    check(!String(text).includes("%"), `${where}: the ${status} body contains %, which Envoy expands as a command operator`);
    if (nginxProblem[status]) {
      return check(isDeepStrictEqual(parsed, nginxProblem[status].problem),
        `${where}: the ${status} body must be the local gateway's (bin/gateway-config):\n      nginx: ${nginxProblem[status].body}\n      envoy: ${text}`);
    }
    const types = [...(serviceStatuses.problemTypes[status] ?? ["about:blank"])];
    return check(parsed.status === status && parsed.title === ENVOY_ONLY_PROBLEMS[status]?.title && types.includes(parsed.type) &&
        typeof parsed.detail === "string" && parsed.detail !== "",
      `${where}: the ${status} body must be a problem with status ${status}, title "${ENVOY_ONLY_PROBLEMS[status]?.title}", type ${types.join(" or ")} (the services' own) and a detail: ${text}`);
  };

  // -- the catch-all route: paths no route matches get the local gateway's 404 -----------------
  const catchAll = noBackend.filter(({ route, rule }) => {
    const matches = rule.matches?.length ? rule.matches : [{}];
    return attachedTo(route, https) && matches.length === 1 && (matches[0].path?.type ?? "PathPrefix") === "PathPrefix" &&
      (matches[0].path?.value ?? "/") === "/" && !matches[0].headers && !matches[0].queryParams && !matches[0].method;
  });
  for (const { route } of noBackend.filter((n) => !catchAll.includes(n))) {
    check(false, `${id(route)}: a rule without backends must redirect to https, or be the catch-all (PathPrefix /) answering unrouted paths`);
  }
  check(catchAll.length === 1,
    `one catch-all rule (PathPrefix /, no backend, on the HTTPS listener) must answer unrouted paths with the local gateway's problem+json 404, found ${catchAll.length} (run bin/check-deploy --sync)`);
  for (const { route, rule } of catchAll) {
    const where = `${id(route)} (unrouted paths)`;
    const filters = rule.filters ?? [];
    const ref = filters[0]?.extensionRef;
    const filter = named("HTTPRouteFilter", ref?.name);
    const direct = filter?.spec?.directResponse;
    if (check(filters.length === 1 && filters[0].type === "ExtensionRef" && direct,
      `${where}: its one filter must be an ExtensionRef to an HTTPRouteFilter with a directResponse`)) {
      check(Object.keys(filter.spec).length === 1, `${where}: HTTPRouteFilter/${ref.name} must only answer (directResponse)`);
      check(direct.statusCode === 404 && direct.contentType === PROBLEM_JSON,
        `${where}: HTTPRouteFilter/${ref.name} must answer 404 ${PROBLEM_JSON} (is ${direct.statusCode} ${direct.contentType})`);
      checkProblemBody(bodyText(direct.body, where), 404, `${where}: HTTPRouteFilter/${ref.name}`);
    }
  }

  // -- Envoy Gateway's policies (their schemas are validated in step 1 by @kubernetes-models/envoy-gateway)
  const refsOf = (p) => p.spec.targetRefs ?? (p.spec.targetRef ? [p.spec.targetRef] : []);
  const targetsGateway = (p) => refsOf(p).some((t) => t.kind === "Gateway" && t.name === gateway?.metadata?.name);
  const limits = new Set(modules.map((m) => services[m].maxBodyBytes));
  check(limits.size === 1, `the services disagree on quarkus.http.limits.max-body-size: ${[...limits].join(", ")}`);
  const bodyLimit = [...limits][0];
  const btps = byKind("BackendTrafficPolicy");
  const btp = btps.find(targetsGateway);
  check(bytes(btp?.spec?.requestBuffer?.limit) === bodyLimit,
    `BackendTrafficPolicy: requestBuffer.limit ${btp?.spec?.requestBuffer?.limit} must equal the services' body limit (${bodyLimit} bytes)`);
  for (const p of btps) {
    check(!(p.spec.targetSelectors?.length > 0), `${id(p)}: name its targets in targetRefs (bin/check-deploy resolves policies by name, not by labels)`);
    if (targetsGateway(p)) check(p.spec.mergeType === undefined, `${id(p)}: mergeType is only for policies of a route (merged into the Gateway's)`);
    else check(p.spec.mergeType === "JSONMerge" || p.spec.mergeType === "StrategicMerge",
      `${id(p)}: a route's BackendTrafficPolicy needs mergeType (JSONMerge): without it, it replaces the Gateway's on that route, dropping the body limit, the timeouts and the problem bodies there`);
  }
  // The BackendTrafficPolicy Envoy Gateway applies to a rule: the most specific of rule, route,
  // listener and Gateway; a route's with mergeType merged into the listener's or Gateway's.
  const targeting = (kind, name, sectionName) => btps.filter((p) => refsOf(p).some((t) =>
    t.kind === kind && t.name === name && t.sectionName === sectionName));
  const effectivePolicy = (route, rule) => {
    const level = (list, what) => {
      check(list.length <= 1, `${list.map(id).join(" and ")} all target ${what}: Envoy Gateway applies only the oldest`);
      return list[0];
    };
    const child = level(rule.name ? targeting("HTTPRoute", route.metadata.name, rule.name) : [], `${id(route)} rule ${rule.name}`) ??
      level(targeting("HTTPRoute", route.metadata.name, undefined), id(route));
    const parent = level(targeting("Gateway", gateway?.metadata?.name, https?.name), `the Gateway's ${https?.name} listener`) ??
      level(targeting("Gateway", gateway?.metadata?.name, undefined), "the Gateway");
    const own = (p) => {
      const { targetRefs, targetRef, targetSelectors, mergeType, ...rest } = p.spec;
      return rest;
    };
    if (!child) return { spec: parent ? own(parent) : {}, from: parent ? id(parent) : "no BackendTrafficPolicy" };
    if (parent && child.spec.mergeType) return { spec: mergePatch(own(parent), own(child)), from: `${id(child)} merged into ${id(parent)}` };
    return { spec: own(child), from: id(child) };
  };
  // status -> the responseOverride entry Envoy uses for it (the first that matches), with the
  // problems of entries it cannot be.
  const overridesOf = (spec, where) => {
    const found = new Map();
    for (const entry of spec.responseOverride ?? []) {
      for (const m of entry.match?.statusCodes ?? []) {
        const [from, to] = (m.type ?? "Value") === "Range" ? [m.range?.start, m.range?.end] : [m.value, m.value];
        if (!check(Number.isInteger(from) && Number.isInteger(to) && to - from < 200, `${where}: a responseOverride match ${JSON.stringify(m)} names no status range`)) continue;
        for (let status = from; status <= to; status++) if (!found.has(status)) found.set(status, entry);
      }
    }
    return found;
  };
  const rateLimitRules = (spec) => spec.rateLimit?.local?.rules ?? [];

  // -- every route: the body limit, and problem+json for the errors Envoy answers itself --------
  check(isDeepStrictEqual(Object.keys(ENVOY_PROBLEMS).map(Number).sort(), gatewayProblems.map((p) => p.status).sort()),
    `check.mjs ENVOY_PROBLEMS must list exactly the statuses the local gateway answers with problem+json (${gatewayProblems.map((p) => p.status).join(", ")}; bin/gateway-config), each with how Envoy answers it`);
  const policyOf = new Map();
  const policiesChecked = new Set();
  for (const r of served) {
    const { spec, from } = effectivePolicy(r.routeObject, r.rule);
    policyOf.set(r, spec);
    // the rules of a route share its policy: check each (route, policy, service) once
    if (policiesChecked.has(`${r.route} ${from} ${r.service}`)) continue;
    policiesChecked.add(`${r.route} ${from} ${r.service}`);
    const where = `${r.route} (${from})`;
    check(bytes(spec.requestBuffer?.limit) === bodyLimit,
      `${where}: requestBuffer.limit ${spec.requestBuffer?.limit} must equal the services' body limit (${bodyLimit} bytes)`);
    const overrides = overridesOf(spec, where);
    const own = serviceStatuses.statuses[r.service] ?? new Set();
    const limited = rateLimitRules(spec).length > 0 || spec.rateLimit?.global !== undefined;
    const expected = { ...ENVOY_PROBLEMS, ...ENVOY_ONLY_PROBLEMS };
    const unexpected = [...overrides.keys()].filter((status) => !expected[status]);
    check(unexpected.length === 0, `${where}: a responseOverride of ${unexpected.slice(0, 3).join(", ")}${unexpected.length > 3 ? ` and ${unexpected.length - 3} more` : ""}, ` +
      "not errors the gateway answers itself: it would rewrite the services' own");
    for (const [statusText, entry] of Object.entries(expected)) {
      const status = Number(statusText);
      // the services' 413 only answers bodies over the limit the gateway already refuses (checked above)
      const answersItself = own.has(status) && !(status === 413 && bytes(spec.requestBuffer?.limit) === bodyLimit);
      const override = overrides.get(status);
      if (override) {
        if (!check(entry.how === "override", `${where}: no responseOverride of ${status}: ${entry.why}`)) continue;
        if (!check(!answersItself, `${where}: the responseOverride of ${status} would rewrite ${r.service}'s own problem+json ${status} (its sources answer ${status}): leave ${status} out of this route's list`)) continue;
        const response = override.response;
        if (!check(response && !override.redirect, `${where}: the responseOverride of ${status} must answer (response), not redirect`)) continue;
        check(response.statusCode === undefined || response.statusCode === status, `${where}: the responseOverride of ${status} must keep the status (statusCode ${response.statusCode})`);
        check(response.contentType === PROBLEM_JSON, `${where}: the responseOverride of ${status} must be ${PROBLEM_JSON} (is ${response.contentType})`);
        checkProblemBody(bodyText(response.body, where), status, `${where}: the responseOverride of ${status}`);
        if (entry.retryAfter) {
          const retryAfter = (response.header?.set ?? []).find((h) => h.name?.toLowerCase() === "retry-after");
          check(/^[1-9][0-9]*$/.test(retryAfter?.value ?? ""), `${where}: the responseOverride of ${status} must set Retry-After (seconds), like the services' ${status}`);
        }
      } else if (entry.how === "override" && !answersItself && (status !== 429 || limited)) {
        check(false, `${where}: ${status} (${entry.why}) must be problem+json like the local gateway's: a responseOverride of ${status} with its body`);
      }
    }
  }

  // -- rate limits at the edge ---------------------------------------------------------------------
  for (const want of EDGE_RATE_LIMITS) {
    const covering = routes.filter((row) => row.match === "Exact" ? row.path === want.path : prefixCovers(row.path, want.path))
      .sort((a, b) => (b.match === "Exact") - (a.match === "Exact") || b.path.length - a.path.length)[0];
    if (!check(covering, `rate limit of ${want.path}: routes.tsv routes no such path`)) continue;
    const r = served.find((s) => key(s) === key(covering));
    if (!r) continue; // reported above: the HTTPRoutes differ from routes.tsv
    const rules = rateLimitRules(policyOf.get(r));
    const what = `${want.method ? `${want.method} ` : ""}${want.path}`;
    check(policyOf.get(r).rateLimit?.type === undefined || policyOf.get(r).rateLimit?.type === "Local",
      `${r.route}: the rate limit of ${what} must be Local (no rate-limit service)`);
    for (const [cidr, family] of Object.entries(ADDRESS_FAMILIES)) {
      const counts = rules.some((rule) => {
        const selectors = rule.clientSelectors ?? [];
        const cidrs = selectors.filter((c) => c.sourceCIDR).map((c) => c.sourceCIDR);
        const seconds = UNIT_SECONDS[rule.limit?.unit];
        const requests = rule.limit?.requests;
        return rule.shadowMode !== true &&
          // headers or query parameters narrow a rule to requests that carry them: a client leaves them out
          selectors.every((c) => !(c.headers?.length > 0) && !(c.queryParams?.length > 0)) &&
          // an Exact path does not match the same path with a query string
          selectors.every((c) => !c.path || (!c.path.invert && (c.path.type ?? "PathPrefix") === "PathPrefix" && prefixCovers(c.path.value, want.path))) &&
          selectors.every((c) => !(c.methods?.length > 0) ||
            (want.method !== undefined && c.methods.some((m) => !m.invert && m.value === want.method))) &&
          cidrs.length === 1 && cidrs[0].type === "Distinct" && cidrs[0].value === cidr &&
          Number.isInteger(requests) && requests >= 1 && seconds !== undefined &&
          requests <= want.perMinute && requests * 60 / seconds <= want.perMinute;
      });
      check(counts, `${r.route}: ${what} needs a Local rate limit of at most ${want.perMinute} a minute per client address (${want.why}): ` +
        `a rule whose clientSelectors count each ${family} address on its own (sourceCIDR Distinct ${cidr}), with a PathPrefix path covering ${want.path} ` +
        `(an Exact path misses ?query)${want.method ? ` and no method but ${want.method}` : " and no method"}, and no header or query parameter`);
    }
  }

  const ctp = byKind("ClientTrafficPolicy").find(targetsGateway);
  const early = ctp?.spec?.headers?.earlyRequestHeaders;
  const xff = (h) => String(h?.name ?? h).toLowerCase() === "x-forwarded-for";
  check((early?.remove ?? []).some(xff) && !(early?.set ?? []).some(xff) && !(early?.add ?? []).some(xff),
    "ClientTrafficPolicy: the edge drops the client's X-Forwarded-For (earlyRequestHeaders.remove) before Envoy appends the peer");
  check(!(ctp?.spec?.clientIPDetection?.xForwardedFor?.numTrustedHops > 0) && !ctp?.spec?.clientIPDetection?.customHeader,
    "ClientTrafficPolicy: the client's address is the peer's (no trusted X-Forwarded-For hops, no custom header)");
  for (const sp of byKind("SecurityPolicy")) check(!sp.spec.cors, `${id(sp)}: no CORS at the gateway`);

  // -- 7. the worker's autoscaling ------------------------------------------------------------------
  const worker = deploymentOf["worker-service"];
  const scaled = byKind("ScaledObject").filter((s) => s.spec.scaleTargetRef?.name === worker?.object?.metadata?.name &&
    (s.spec.scaleTargetRef?.kind ?? "Deployment") === "Deployment");
  check(scaled.length === 1, "one KEDA ScaledObject scales the worker Deployment");
  for (const so of scaled) {
    const triggers = so.spec.triggers ?? [];
    check(triggers.some((t) => !["cpu", "memory"].includes(t.type)), `${id(so)}: scales on the queue, not on CPU or memory alone`);
    const min = so.spec.minReplicaCount ?? 0;
    check(min >= 1 && so.spec.maxReplicaCount >= min, `${id(so)}: minReplicaCount >= 1 (ops' worker_ok needs a heartbeat) and max >= min`);
    if (name === "production") check(min >= 2, `${id(so)}: production keeps at least 2 workers`);
    for (const t of triggers.filter((t) => t.type === "postgresql")) {
      const md = t.metadata ?? {};
      const query = String(md.query ?? "");
      const select = /^\s*SELECT\s+([\s\S]+?)\s+FROM\s+jobs\.ops_queue_depth\s*;?\s*$/i.exec(query);
      check(select, `${id(so)}: the query must read jobs.ops_queue_depth (is ${query})`);
      if (select) {
        const words = select[1].toLowerCase().match(/[a-z_][a-z0-9_]*/g) ?? [];
        const unknown = words.filter((w) => !queueView.columns.has(w) && !["coalesce", "greatest"].includes(w));
        check(unknown.length === 0 && words.length > 0,
          `${id(so)}: the query uses ${unknown.join(", ") || "nothing"}, not columns of jobs.ops_queue_depth (${[...queueView.columns].join(", ")}); count(*) of that one-row view is always 1`);
      }
      check(queueView.readers.has(md.userName), `${id(so)}: userName ${md.userName} may not read jobs.ops_queue_depth (granted to ${[...queueView.readers].join(", ")})`);
      const hostMatch = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(\.cluster\.local)?$/.exec(md.host ?? "");
      check(hostMatch && [poolerHost, rwHost].includes(hostMatch[1]) && hostMatch[2] === NAMESPACE,
        `${id(so)}: host ${md.host} must be the full name of ${poolerHost} or ${rwHost} in ${NAMESPACE} (KEDA runs in its own namespace)`);
      check(md.dbName === dbName, `${id(so)}: dbName ${md.dbName} is not ${dbName}`);
      const concurrency = effective(environment(worker.pod.containers[0], objects, () => {}), "WORKER_CONCURRENCY")?.value ??
        services["worker-service"].defaults.get("WORKER_CONCURRENCY");
      check(String(md.targetQueryValue) === String(concurrency),
        `${id(so)}: targetQueryValue ${md.targetQueryValue} should equal the worker's WORKER_CONCURRENCY ${concurrency}`);
      const auth = named("TriggerAuthentication", t.authenticationRef?.name);
      const password = auth?.spec?.secretTargetRef?.find((r) => r.parameter === "password");
      check(password && password.name === roles.get(md.userName)?.passwordSecret?.name,
        `${id(so)}: TriggerAuthentication ${t.authenticationRef?.name} must take the password from ${md.userName}'s Secret`);
    }
  }

  // -- 8. network policies, as connections ---------------------------------------------------------
  const policies = byKind("NetworkPolicy");
  check(policies.some((p) => Object.keys(p.spec.podSelector ?? {}).length === 0 && (p.spec.policyTypes ?? []).includes("Ingress") &&
    !(p.spec.ingress?.length > 0)), "a default-deny ingress NetworkPolicy for the whole namespace");
  const pod = (labels, namespace = NAMESPACE) => ({ namespace, labels });
  const podOf = (module, component = module === "worker-service" ? "worker" : "server") =>
    pod({ "app.kubernetes.io/name": module, "app.kubernetes.io/component": component, "app.kubernetes.io/part-of": "metered" });
  const envoy = pod({
    "app.kubernetes.io/name": "envoy",
    "gateway.envoyproxy.io/owning-gateway-name": gateway?.metadata?.name,
    "gateway.envoyproxy.io/owning-gateway-namespace": NAMESPACE,
  }, "envoy-gateway-system");
  const prometheus = pod({ "app.kubernetes.io/name": "prometheus" }, "monitoring");
  const stranger = pod({ app: "something-else" }, "default");
  const neighbour = pod({ app: "something-else" });
  const postgres = pod({ "cnpg.io/cluster": cnpgCluster?.metadata?.name, "cnpg.io/instanceRole": "primary" });
  const bouncer = pod({ "cnpg.io/poolerName": poolerHost });
  const operator = pod({ "app.kubernetes.io/name": "cloudnative-pg" }, "cnpg-system");
  const keda = pod({ app: "keda-operator" }, "keda");
  const internet = { ip: "203.0.113.10" };
  const may = (from, to, port, yes, what) => check(connectionAllowed(policies, from, to, port) === yes, `NetworkPolicy: ${what} should ${yes ? "" : "NOT "}be allowed`);
  const routed = new Set(routes.map((r) => r.service));
  const jwksClients = modules.filter((m) => deploymentOf[m] && effective(environment(deploymentOf[m].pod.containers[0], objects, () => {}), "AUTH_JWKS_URL"));
  for (const module of modules) {
    const port = services[module].port;
    may(envoy, podOf(module), port, routed.has(module), `the gateway -> ${module}:${port}`);
    may(prometheus, podOf(module), port, true, `Prometheus -> ${module}:${port}`);
    may(stranger, podOf(module), port, false, `a pod of another namespace -> ${module}:${port}`);
    may(neighbour, podOf(module), port, false, `a non-Metered pod of this namespace -> ${module}:${port}`);
    for (const other of modules.filter((m) => m !== module)) {
      const expected = other === "auth-service" && jwksClients.includes(module);
      may(podOf(module), podOf(other), services[other].port, expected, `${module} -> ${other}:${services[other].port}${expected ? " (JWKS)" : ""}`);
    }
    for (const component of [module === "worker-service" ? "worker" : "server", "migration"]) {
      may(podOf(module, component), postgres, 5432, true, `${module} (${component}) -> PostgreSQL:5432`);
      may(podOf(module, component), bouncer, 5432, true, `${module} (${component}) -> PgBouncer:5432`);
    }
    const provider = module === "billing-service" || module === "worker-service";
    if (provider) may(podOf(module), internet, 443, true, `${module} -> the internet:443 (Stripe / Replicate)`);
    may(podOf(module), internet, 80, false, `${module} -> the internet:80`);
  }
  may(operator, postgres, 5432, true, "the CloudNativePG operator -> PostgreSQL:5432");
  may(operator, postgres, 8000, true, "the CloudNativePG operator -> the instance manager:8000");
  may(postgres, postgres, 5432, true, "PostgreSQL replication between instances");
  may(bouncer, postgres, 5432, true, "PgBouncer -> PostgreSQL:5432");
  may(keda, bouncer, 5432, true, "KEDA -> PgBouncer:5432 (queue depth)");
  for (const [who, src] of [["a pod of another namespace", stranger], ["a non-Metered pod of this namespace", neighbour], ["the gateway", envoy], ["Prometheus", prometheus], ["KEDA", keda]]) {
    may(src, postgres, 5432, false, `${who} -> PostgreSQL:5432`);
  }
  may(stranger, bouncer, 5432, false, "a pod of another namespace -> PgBouncer:5432");

  return { problems, checks };
}

function summary(name, objects, { problems, checks }) {
  const kinds = {};
  for (const o of objects) kinds[o.kind] = (kinds[o.kind] ?? 0) + 1;
  const kindList = Object.entries(kinds).sort().map(([k, n]) => `${n} ${k}`).join(", ");
  if (problems.length > 0) {
    console.log(`FAIL ${name}: ${problems.length} problem(s) in ${objects.length} objects`);
    for (const p of problems) console.log(`  - ${p}`);
  } else {
    console.log(`ok   ${name}: ${objects.length} objects valid, ${checks} checks passed (${kindList})`);
  }
}

async function main() {
  const [root, ...renderArgs] = process.argv.slice(2);
  if (!root || renderArgs.length === 0) {
    console.error("usage: node check.mjs ROOT NAME=RENDERED.yaml...");
    process.exit(2);
  }
  loadRepository(root);
  let failed = false;
  for (const arg of renderArgs) {
    const eq = arg.indexOf("=");
    const name = arg.slice(0, eq);
    const objects = objectsOf(arg.slice(eq + 1));
    const result = await checkObjects(name, objects);
    summary(name, objects, result);
    if (result.problems.length > 0) failed = true;
  }
  process.exit(failed ? 1 : 0);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
