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
