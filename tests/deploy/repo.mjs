// What the repository says about each service, read from its sources rather than restated:
// its port and body limit (application.properties), the environment variables it reads
// (`${NAME...}` references in its application.properties and in service-runtime's
// META-INF/microprofile-config.properties, plus names its Java code looks up itself), which of
// them have no default, and what the queue-depth view publishes.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;

// Names the services read that their properties files do not show, by service ("*": all).
// Each entry says why; bin/check-deploy accepts these and nothing else.
const DOCUMENTED_READS = {
  "*": [
    // parsed by service-runtime's DatabaseUrlConfigSourceFactory (also a property key)
    "DATABASE_URL",
    // read by the JVM itself (heap sizing), not by the service
    "JAVA_TOOL_OPTIONS",
  ],
  // DATABASE_LISTEN_URL: the LISTEN connection's URL (defaults to DATABASE_URL), for the two
  // services that LISTEN. MVP_WORKER_ENABLED: the runbook's web/worker split sets it to false on
  // the web processes; billing and jobs have no queue worker and ignore it (bin/stack sets it
  // for them too).
  "billing-service": ["DATABASE_LISTEN_URL", "MVP_WORKER_ENABLED"],
  "jobs-service": ["MVP_WORKER_ENABLED"],
  "worker-service": ["DATABASE_LISTEN_URL"],
};

// Required although the properties give them a default: the service does not start without
// them (startup), or is useless without them (service).
const REQUIRED_AT_STARTUP = {
  "*": ["DATABASE_URL"],
  // SigningKeys refuses to start in the prod profile without a signing key
  "auth-service": ["AUTH_JWT_PRIVATE_KEY"],
};
const REQUIRED_TO_SERVE = {
  // `${ADMIN_TOKEN:}`: without it every admin call is refused
  "ops-service": ["ADMIN_TOKEN"],
};

function walk(dir, predicate, out = []) {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path, predicate, out);
    else if (predicate(path)) out.push(path);
  }
  return out;
}

// key=value lines of a .properties file, with the profile split off ("%prod.x" -> prod, x).
function properties(file) {
  const entries = [];
  for (const raw of readFileSync(file, "utf8").split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    let key = line.slice(0, eq).trim();
    let profile = null;
    const match = /^%([a-z]+)\.(.*)$/.exec(key);
    if (match) [, profile, key] = match;
    entries.push({ profile, key, value: line.slice(eq + 1).trim() });
  }
  return entries;
}

// Collects `${NAME}` / `${NAME:default}` references of environment-style names.
function collectReferences(entries, reads, required, defaults) {
  for (const { profile, key, value } of entries) {
    // what only tests or dev mode see does not count
    if (profile === "test" || profile === "dev") continue;
    if (ENV_NAME.test(key)) reads.add(key);
    for (const ref of value.matchAll(/\$\{([A-Za-z0-9_.-]+)(:[^}]*)?\}/g)) {
      const name = ref[1];
      if (!ENV_NAME.test(name)) continue;
      reads.add(name);
      if (ref[2] === undefined) required.add(name);
      else if (!defaults.has(name)) defaults.set(name, ref[2].slice(1));
    }
  }
}

// Names Java code looks up by itself (config source factories, @ConfigProperty, getenv).
function javaReads(dir) {
  const names = new Set();
  const patterns = [
    /getValue\(\s*"([A-Z][A-Z0-9_]*)"\s*\)/g,
    /value\(\s*context\s*,\s*"([A-Z][A-Z0-9_]*)"\s*\)/g,
    /@ConfigProperty\(\s*name\s*=\s*"([A-Z][A-Z0-9_]*)"/g,
    /getenv\(\s*"([A-Z][A-Z0-9_]*)"\s*\)/g,
    /getenv\(\)\.get(?:OrDefault)?\(\s*"([A-Z][A-Z0-9_]*)"/g,
  ];
  for (const file of walk(dir, (p) => p.endsWith(".java"))) {
    const text = readFileSync(file, "utf8");
    for (const pattern of patterns) for (const m of text.matchAll(pattern)) names.add(m[1]);
  }
  return names;
}

// Quantity strings as Quarkus reads them ("256K" = 256 KiB) or Kubernetes does ("256Ki").
export function bytes(quantity) {
  const m = /^([0-9]+)\s*(K|M|G|Ki|Mi|Gi|k)?$/.exec(String(quantity).trim());
  if (!m) return NaN;
  const unit = { K: 1024, M: 1024 ** 2, G: 1024 ** 3, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, k: 1000 }[m[2]] ?? 1;
  return Number(m[1]) * unit;
}

export function readServices(root) {
  const runtimeEntries = properties(join(root, "service-runtime/src/main/resources/META-INF/microprofile-config.properties"));
  const runtimeJava = javaReads(join(root, "service-runtime/src/main/java"));
  const services = {};
  for (const dir of readdirSync(root).sort()) {
    const file = join(root, dir, "src/main/resources/application.properties");
    if (!dir.endsWith("-service") || !existsSync(file)) continue;
    const entries = properties(file);
    const get = (key) => entries.find((e) => e.profile === null && e.key === key)?.value;
    const reads = new Set();
    const required = new Set();
    const defaults = new Map();
    collectReferences(entries, reads, required, defaults);
    collectReferences(runtimeEntries, reads, required, defaults);
    for (const name of [...runtimeJava, ...javaReads(join(root, dir, "src/main/java"))]) reads.add(name);
    for (const name of [...DOCUMENTED_READS["*"], ...(DOCUMENTED_READS[dir] ?? [])]) reads.add(name);
    const startup = new Set([...required, ...REQUIRED_AT_STARTUP["*"], ...(REQUIRED_AT_STARTUP[dir] ?? [])]);
    services[dir] = {
      name: dir,
      short: dir.replace(/-service$/, ""),
      port: Number(get("quarkus.http.port")),
      maxBodyBytes: bytes(get("quarkus.http.limits.max-body-size")),
      reads,
      defaults,
      requiredAtStartup: startup,
      requiredToServe: new Set([...startup, ...(REQUIRED_TO_SERVE[dir] ?? [])]),
    };
  }
  return services;
}

// Whether the service reads `name`: its own names, or one Quarkus maps to a property itself.
export function readsVariable(service, name) {
  return service.reads.has(name) || /^QUARKUS_[A-Z0-9_]+$/.test(name);
}

// The columns of jobs.ops_queue_depth and the roles granted SELECT on it, from jobs-service's
// migrations.
export function readQueueDepthView(root) {
  const dir = join(root, "jobs-service/src/main/resources/db/jobs");
  const sql = walk(dir, (p) => p.endsWith(".sql")).sort().map((f) => readFileSync(f, "utf8")).join("\n");
  const view = /CREATE (?:OR REPLACE )?VIEW jobs\.ops_queue_depth AS([\s\S]*?);/i.exec(sql);
  const columns = new Set();
  if (view) {
    // the select list's top-level aliases: "... AS queued, ... AS running"
    let depth = 0;
    let current = "";
    const items = [];
    const body = view[1].replace(/\bFROM\b(?![\s\S]*\))[\s\S]*$/i, "");
    for (const ch of body.replace(/^\s*SELECT\s+/i, "")) {
      if (ch === "(") depth++;
      if (ch === ")") depth--;
      if (ch === "," && depth === 0) {
        items.push(current);
        current = "";
      } else current += ch;
    }
    items.push(current);
    for (const item of items) {
      const alias = /\bAS\s+([a-z_][a-z0-9_]*)\s*$/i.exec(item.trim());
      if (alias) columns.add(alias[1].toLowerCase());
    }
  }
  const readers = new Set();
  for (const grant of sql.matchAll(/GRANT SELECT ON ([^;]*?) TO ([^;]+);/gi)) {
    if (/\bjobs\.ops_queue_depth\b/.test(grant[1])) {
      for (const role of grant[2].split(",")) readers.add(role.trim());
    }
  }
  return { columns, readers };
}

// URL hosts the manifests may name: in-cluster names (no dot, or *.svc[.cluster.local]) and the
// example.com placeholders operators replace. Anything else (a registry among them) fails.
export function placeholderOrInClusterHost(host) {
  return !host.includes(".") || /\.svc(\.cluster\.local)?$/.test(host) ||
    host === "example.com" || host.endsWith(".example.com");
}

// ---------------------------------------------------------------------------------------------
// Which error statuses (400-599) each service answers itself, read from the Java sources, so
// that the gateway never rewrites a service's own problem+json (bin/check-deploy's
// responseOverride checks). Over-approximates on purpose: a status counts for a service when its
// code (comments stripped, strings kept: @APIResponse(responseCode = "404") counts) names it as a
// number or a JAX-RS Response.Status, when it calls a ProblemException factory that answers it,
// and when service-runtime's own code (every service runs it) does either.

const STATUS_NAMES = {
  BAD_REQUEST: 400, UNAUTHORIZED: 401, PAYMENT_REQUIRED: 402, FORBIDDEN: 403, NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405, NOT_ACCEPTABLE: 406, CONFLICT: 409, GONE: 410, PRECONDITION_FAILED: 412,
  REQUEST_ENTITY_TOO_LARGE: 413, UNSUPPORTED_MEDIA_TYPE: 415, TOO_MANY_REQUESTS: 429,
  REQUEST_HEADER_FIELDS_TOO_LARGE: 431, INTERNAL_SERVER_ERROR: 500, NOT_IMPLEMENTED: 501,
  BAD_GATEWAY: 502, SERVICE_UNAVAILABLE: 503, GATEWAY_TIMEOUT: 504,
};

// Java source without its comments (string and character literals kept).
function withoutComments(java) {
  return java.replace(/("""[\s\S]*?"""|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')|\/\*[\s\S]*?\*\/|\/\/[^\n]*/g,
    (match, literal) => literal ?? " ");
}

function statusesIn(code) {
  const found = new Set();
  for (const m of code.matchAll(/(?<![\w.])([45][0-9]{2})(?![\w.])/g)) found.add(Number(m[1]));
  for (const m of code.matchAll(/\bStatus\.([A-Z_]+)\b/g)) if (STATUS_NAMES[m[1]]) found.add(STATUS_NAMES[m[1]]);
  return found;
}

// ProblemException's static factories: name -> { statuses, types }, following factories that
// call each other (overloaded -> serviceUnavailable -> 503).
function problemFactories(file) {
  const code = withoutComments(readFileSync(file, "utf8"));
  const raw = Object.create(null);
  for (const m of code.matchAll(/\bstatic\s+ProblemException\s+(\w+)\s*\([^)]*\)\s*\{/g)) {
    let depth = 1;
    let i = m.index + m[0].length;
    while (depth > 0 && i < code.length) {
      if (code[i] === "{") depth++;
      else if (code[i] === "}") depth--;
      i++;
    }
    const body = code.slice(m.index + m[0].length, i - 1);
    raw[m[1]] = {
      statuses: statusesIn(body),
      types: new Set([...body.matchAll(/"(urn:metered:problem:[a-z0-9-]+|about:blank)"/g)].map((t) => t[1])),
      calls: [...body.matchAll(/\b(\w+)\s*\(/g)].map((c) => c[1]),
    };
  }
  const resolved = Object.create(null);
  const resolve = (name, seen = new Set()) => {
    if (resolved[name]) return resolved[name];
    const statuses = new Set(raw[name].statuses);
    const types = new Set(raw[name].types);
    seen.add(name);
    for (const callee of raw[name].calls) {
      if (!raw[callee] || seen.has(callee)) continue;
      const r = resolve(callee, seen);
      r.statuses.forEach((s) => statuses.add(s));
      r.types.forEach((t) => types.add(t));
    }
    return (resolved[name] = { statuses, types });
  };
  for (const name of Object.keys(raw)) resolve(name);
  return resolved;
}

// { statuses: { module: Set<status> }, problemTypes: { status: Set<type> } }: problemTypes holds
// the `type`s ProblemException's factories give each status (the gateway's own 429 uses the
// services' type for the same outcome).
export function readServiceStatuses(root, modules) {
  const runtimeDir = join(root, "service-runtime/src/main/java");
  const factoryFile = walk(runtimeDir, (p) => p.endsWith("/ProblemException.java"))[0];
  const factories = factoryFile ? problemFactories(factoryFile) : Object.create(null);
  const scan = (files) => {
    const found = new Set();
    for (const file of files) {
      const code = withoutComments(readFileSync(file, "utf8"));
      statusesIn(code).forEach((s) => found.add(s));
      for (const call of code.matchAll(/\bProblemException\s*\.\s*(\w+)\s*\(/g)) {
        factories[call[1]]?.statuses.forEach((s) => found.add(s));
      }
    }
    return found;
  };
  const runtime = scan(walk(runtimeDir, (p) => p.endsWith(".java") && p !== factoryFile));
  const statuses = {};
  for (const module of modules) {
    statuses[module] = new Set([...runtime, ...scan(walk(join(root, module, "src/main/java"), (p) => p.endsWith(".java")))]);
  }
  const problemTypes = {};
  for (const { statuses: s, types } of Object.values(factories)) {
    for (const status of s) for (const type of types) (problemTypes[status] ??= new Set()).add(type);
  }
  return { statuses, problemTypes };
}
