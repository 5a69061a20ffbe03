// Schema validation of rendered Kubernetes objects with the kubernetes-models packages, plus a
// strictness check those packages do not make.
//
// The models' validate() checks types, enums, required fields and formats, but ACCEPTS unknown
// properties (their generated JSON schemas do not set additionalProperties: false; checked when
// this was written: a Deployment with spec.bogus, or a ClientTrafficPolicy with spec.bogus,
// validates). A misspelled field would then be dropped silently by the API server or, worse,
// by an operator. So we also report every property the schema does not declare.
//
// How: the packages ship their schemas only as compiled (ajv standalone) validator functions.
// A compiled validator reads every property its schema declares (`data.foo !== undefined`), and
// enumerates the keys of an object only when the schema allows arbitrary keys there (a map such
// as labels, or additionalProperties). We run the validator on a Proxy of the object that
// records both: a key present in the data, never read and in an object that was never
// enumerated, is not declared by the schema. Objects the validator never looked into at all
// (free-form fields such as x-kubernetes-preserve-unknown-fields) are left alone.

// API group -> npm package holding its models (core groups live in kubernetes-models).
const CRD_PACKAGES = {
  "gateway.networking.k8s.io": "@kubernetes-models/gateway-api",
  "gateway.envoyproxy.io": "@kubernetes-models/envoy-gateway",
  "keda.sh": "@kubernetes-models/keda",
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
  "postgresql.cnpg.io": "@kubernetes-models/cloudnative-pg",
};

const moduleCache = new Map();

// The model class for apiVersion/kind, or null when no installed package has one.
export async function modelFor(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string") return null;
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  let specifier;
  if (CRD_PACKAGES[group]) specifier = `${CRD_PACKAGES[group]}/${group}/${version}`;
  else if (group === "") specifier = `kubernetes-models/${version}`;
  else specifier = `kubernetes-models/${group}/${version}`;
  if (!moduleCache.has(specifier)) {
    moduleCache.set(specifier, await import(specifier).catch(() => null));
  }
  const mod = moduleCache.get(specifier);
  const model = mod?.[kind];
  return typeof model === "function" && model.apiVersion === apiVersion && model.kind === kind ? model : null;
}

// Wraps `value` so that reads and enumerations by the validator are recorded in `seen`.
function recordingProxy(value, path, seen, proxies) {
  if (value === null || typeof value !== "object") return value;
  if (proxies.has(value)) return proxies.get(value);
  const record = { path, read: new Set(), enumerated: false, isArray: Array.isArray(value) };
  seen.set(value, record);
  const proxy = new Proxy(value, {
    get(target, key, receiver) {
      const child = Reflect.get(target, key, receiver);
      if (typeof key !== "string") return child;
      record.read.add(key);
      return Object.hasOwn(target, key) ? recordingProxy(child, `${path}/${key}`, seen, proxies) : child;
    },
    has(target, key) {
      if (typeof key === "string") record.read.add(key);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      record.enumerated = true;
      return Reflect.ownKeys(target);
    },
  });
  proxies.set(value, proxy);
  return proxy;
}

// Validates one plain object. Returns a list of problems (empty when valid and strict).
export async function validateObject(object) {
  const model = await modelFor(object?.apiVersion, object?.kind);
  if (!model) return [`no schema for ${object?.apiVersion} ${object?.kind} in the installed model packages`];
  const problems = [];
  const seen = new Map();
  const data = structuredClone(object);
  try {
    // the model's validate() runs its compiled validator on `this`
    model.prototype.validate.call(recordingProxy(data, "", seen, new WeakMap()));
  } catch (error) {
    problems.push(`schema: ${error.message}`);
  }
  for (const [target, record] of seen) {
    if (record.isArray || record.enumerated || record.read.size === 0) continue;
    for (const key of Object.keys(target)) {
      if (!record.read.has(key)) problems.push(`unknown property ${record.path}/${key}`);
    }
  }
  return problems;
}
