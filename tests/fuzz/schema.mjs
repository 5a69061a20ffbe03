// OpenAPI schemas: validation of response bodies with ajv, and JSON values generated from them.
import Ajv2020 from 'ajv/dist/2020.js';
import AjvDraft from 'ajv';
import addFormats from 'ajv-formats';
import fc from 'fast-check';

export const snake = (name) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/** The schema with every property name in snake_case, the wire convention of DESIGN.md. */
export function snakeTwin(schema) {
  if (Array.isArray(schema)) return schema.map(snakeTwin);
  if (!schema || typeof schema !== 'object') return schema;
  const out = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'properties' && v && typeof v === 'object') {
      out.properties = Object.fromEntries(Object.entries(v).map(([p, s]) => [snake(p), snakeTwin(s)]));
    } else if (k === 'required' && Array.isArray(v)) {
      out.required = v.map(snake);
    } else {
      out[k] = snakeTwin(v);
    }
  }
  return out;
}

/** The schema with additionalProperties: false wherever it lists properties and says nothing else. */
export function closed(schema) {
  if (Array.isArray(schema)) return schema.map(closed);
  if (!schema || typeof schema !== 'object') return schema;
  const out = {};
  for (const [k, v] of Object.entries(schema)) out[k] = closed(v);
  if (schema.properties && schema.additionalProperties === undefined && !schema.$ref) out.additionalProperties = false;
  return out;
}

const VARIANTS = { plain: (s) => s, twin: snakeTwin, closed };

/** OpenAPI 3.0's nullable as JSON Schema, so both 3.0 and 3.1 documents validate with ajv. */
function from30(schema) {
  if (Array.isArray(schema)) return schema.map(from30);
  if (!schema || typeof schema !== 'object') return schema;
  const out = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'nullable' || k === 'example' || k === 'discriminator' || k === 'xml') continue;
    out[k] = from30(v);
  }
  if (schema.nullable === true && typeof schema.type === 'string') out.type = [schema.type, 'null'];
  return out;
}

function rebase(schema, base) {
  if (Array.isArray(schema)) return schema.map((s) => rebase(s, base));
  if (!schema || typeof schema !== 'object') return schema;
  const out = {};
  for (const [k, v] of Object.entries(schema)) {
    out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#') ? base + v : rebase(v, base);
  }
  return out;
}

/**
 * One validator per service document: validate(service, schema, body, variant) answers a list of
 * ajv messages (empty when valid). variant: 'plain' (the schema as published), 'twin' (its
 * property names in snake_case) or 'closed' (no property it does not name).
 */
export class Validators {
  constructor() {
    this.ajv = { '3.1': new Ajv2020({ strict: false, allErrors: true, validateFormats: true }),
      '3.0': new AjvDraft({ strict: false, allErrors: true, validateFormats: true }) };
    for (const a of Object.values(this.ajv)) addFormats(a);
    this.docs = {};
    this.cache = new Map();
  }

  add(service, doc) {
    const version = String(doc.openapi || '3.0').startsWith('3.1') ? '3.1' : '3.0';
    const convert = version === '3.0' ? from30 : (s) => s;
    const schemas = convert(doc.components?.schemas || {});
    this.docs[service] = { version };
    for (const [variant, transform] of Object.entries(VARIANTS)) {
      this.ajv[version].addSchema({ $id: `urn:metered:openapi:${service}:${variant}`,
        components: { schemas: transform(schemas) } });
    }
  }

  validate(service, schema, body, variant = 'plain') {
    const key = `${service}|${variant}|${JSON.stringify(schema)}`;
    let fn = this.cache.get(key);
    const { version } = this.docs[service];
    if (!fn) {
      const base = `urn:metered:openapi:${service}:${variant}`;
      const s = VARIANTS[variant](version === '3.0' ? from30(schema) : schema);
      fn = this.ajv[version].compile(rebase(s, base));
      this.cache.set(key, fn);
    }
    if (fn(body)) return [];
    return fn.errors.slice(0, 6).map((e) => `${e.instancePath || '/'} ${e.message}${e.params?.additionalProperty ? ` '${e.params.additionalProperty}'` : ''}`);
  }
}

export function resolve(doc, schema, seen = 0) {
  if (schema && schema.$ref && seen < 20) {
    const path = schema.$ref.replace(/^#\//, '').split('/');
    let node = doc;
    for (const p of path) node = node?.[p];
    return resolve(doc, node || {}, seen + 1);
  }
  return schema || {};
}

const hexUuid = fc.uuid();

/**
 * A JSON value that the schema (snake_case names) accepts, more or less: hints name fields whose
 * useful values the schema cannot tell (an email that exists, a job type that is priced...).
 */
export function valueArb(doc, schema, hints = {}, name = '', depth = 0) {
  if (name && hints[name]) return hints[name];
  // Jackson's JsonNode shows up as a bean of its getters: the wire value is any JSON object.
  if (/\/JsonNode$/.test(schema?.$ref || '')) return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
  const s = resolve(doc, schema);
  if (s.enum) return fc.constantFrom(...s.enum);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'object': {
      if (!s.properties || depth > 3) return fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.integer()), { maxKeys: 3 });
      const required = new Set(s.required || []);
      const record = {};
      for (const [p, ps] of Object.entries(s.properties)) {
        const wire = snake(p);
        record[wire] = valueArb(doc, ps, hints, wire, depth + 1);
      }
      const requiredKeys = Object.keys(record).filter((k) => required.has(k) || required.has(camel(k)));
      return fc.record(record, { requiredKeys });
    }
    case 'array':
      return fc.array(valueArb(doc, s.items || {}, hints, '', depth + 1), { maxLength: 3 });
    case 'integer': {
      const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -1000);
      const max = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : 100000);
      return fc.integer({ min: Math.max(min, -1e9), max: Math.min(max, 1e9) });
    }
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
    case 'boolean':
      return fc.boolean();
    case 'string':
      if (s.format === 'uuid') return hexUuid;
      if (s.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
      if (s.format === 'binary') return fc.string();
      return fc.string({ minLength: s.minLength ?? 1, maxLength: Math.min(s.maxLength ?? 24, 24) });
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

const camel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
