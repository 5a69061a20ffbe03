// A small evaluator of Kubernetes NetworkPolicy semantics, enough to ask "may this pod open a
// connection to that pod on this port?" about the rendered policies. Endpoints are
// { namespace, labels } for pods, or { ip } for an address outside the cluster.
//
// Rules modelled: a pod selected by no policy of a direction allows everything in it; a pod
// selected by some policy of that direction allows only what one of those policies' rules
// allows; a connection needs the source's egress AND the destination's ingress. Namespaces are
// matched by their kubernetes.io/metadata.name label, the only namespace label we rely on.

export function selectorMatches(selector, labels) {
  if (!selector) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, key);
    if (operator === "In" && !(has && values.includes(labels[key]))) return false;
    if (operator === "NotIn" && has && values.includes(labels[key])) return false;
    if (operator === "Exists" && !has) return false;
    if (operator === "DoesNotExist" && has) return false;
  }
  return true;
}

function ipv4(text) {
  const parts = text.split(".").map(Number);
  return parts.length === 4 && parts.every((p) => p >= 0 && p <= 255)
    ? ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0
    : null;
}

function inCidr(ip, cidr) {
  const [base, bitsText] = cidr.split("/");
  const bits = Number(bitsText);
  const a = ipv4(ip);
  const b = ipv4(base);
  if (a === null || b === null) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (a & mask) === (b & mask);
}

function peerMatches(peer, endpoint, policyNamespace) {
  if (peer.ipBlock) {
    if (endpoint.ip === undefined) return false;
    return inCidr(endpoint.ip, peer.ipBlock.cidr) &&
      !(peer.ipBlock.except ?? []).some((cidr) => inCidr(endpoint.ip, cidr));
  }
  if (endpoint.ip !== undefined) return false;
  const namespaceOk = peer.namespaceSelector
    ? selectorMatches(peer.namespaceSelector, { "kubernetes.io/metadata.name": endpoint.namespace })
    : endpoint.namespace === policyNamespace;
  return namespaceOk && selectorMatches(peer.podSelector, endpoint.labels);
}

function portMatches(ports, port) {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => (p.protocol ?? "TCP") === "TCP" &&
    (p.port === undefined || p.port === port || (p.endPort !== undefined && port >= p.port && port <= p.endPort)));
}

function types(policy) {
  return policy.spec.policyTypes ?? (policy.spec.egress ? ["Ingress", "Egress"] : ["Ingress"]);
}

// Whether `direction` ("Ingress" at `pod`, from `other`; or "Egress" from `pod`, to `other`)
// is allowed on TCP `port`.
function allowedAt(policies, pod, other, port, direction) {
  if (pod.ip !== undefined) return true; // outside the cluster: not ours to restrict
  const selecting = policies.filter((p) => p.metadata.namespace === pod.namespace &&
    types(p).includes(direction) && selectorMatches(p.spec.podSelector, pod.labels));
  if (selecting.length === 0) return true;
  const key = direction === "Ingress" ? "ingress" : "egress";
  const peersKey = direction === "Ingress" ? "from" : "to";
  return selecting.some((policy) => (policy.spec[key] ?? []).some((rule) =>
    portMatches(rule.ports, port) &&
    (!rule[peersKey] || rule[peersKey].length === 0 ||
      rule[peersKey].some((peer) => peerMatches(peer, other, policy.metadata.namespace)))));
}

export function connectionAllowed(policies, source, destination, port) {
  return allowedAt(policies, source, destination, port, "Egress") &&
    allowedAt(policies, destination, source, port, "Ingress");
}
