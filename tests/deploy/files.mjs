// Checks of the source files themselves (run by bin/check-deploy before rendering):
//  - the copy of db/bootstrap.sql that the Cluster's bootstrap ConfigMap is generated from is
//    identical to it (kustomize cannot read files outside deploy/k8s);
//  - the checked-in HTTPRoutes are what `--sync` generates from deploy/gateway/routes.tsv and
//    bin/gateway-config's 404 (check.mjs also compares the RENDERED routes, after the overlays'
//    patches, to the table);
//  - this npm project's lock file names no registry: no `resolved` fields, no tarball URL (its
//    only URLs are the packages' funding links);
//  - no URL in deploy/k8s or tests/deploy names a host other than a placeholder or an
//    in-cluster name.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { placeholderOrInClusterHost } from "./repo.mjs";
import { gatewayProblem, readGatewayProblems } from "./problems.mjs";
import { readRoutes, renderHttpRoutes } from "./routes.mjs";

const root = process.argv[2];
const problems = [];
let checks = 0;
const check = (condition, message) => {
  checks++;
  if (!condition) problems.push(message);
};

const read = (path) => readFileSync(join(root, path), "utf8");

check(read("deploy/k8s/base/database/bootstrap.sql") === read("db/bootstrap.sql"),
  "deploy/k8s/base/database/bootstrap.sql differs from db/bootstrap.sql (run bin/check-deploy --sync)");
const notFound = gatewayProblem(readGatewayProblems(join(root, "bin/gateway-config")), 404);
check(read("deploy/k8s/base/gateway/httproutes.yaml") === renderHttpRoutes(readRoutes(join(root, "deploy/gateway/routes.tsv")), notFound),
  "deploy/k8s/base/gateway/httproutes.yaml is not what deploy/gateway/routes.tsv and bin/gateway-config generate (run bin/check-deploy --sync)");

const lock = read("tests/deploy/package-lock.json");
check(!/"resolved"\s*:/.test(lock), "tests/deploy/package-lock.json has resolved URLs (its .npmrc sets omit-lockfile-registry-resolved)");
check(!/:\/\/[^"\s]*\.tgz/.test(lock), "tests/deploy/package-lock.json contains a tarball URL");
check(read("tests/deploy/.npmrc").includes("omit-lockfile-registry-resolved=true"), "tests/deploy/.npmrc must set omit-lockfile-registry-resolved=true");

function files(dir) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    if (entry === "node_modules") continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...files(path));
    else out.push(path);
  }
  return out;
}
// deploy/k8s/base/monitoring is the monitoring owner's, and the lock file's funding links are
// the packages' own: neither is scanned here
const scanned = [...files(join(root, "deploy/k8s")), ...files(join(root, "tests/deploy"))]
  .filter((f) => !f.includes(join("deploy", "k8s", "base", "monitoring")) && !f.endsWith("package-lock.json"));
for (const file of scanned) {
  const text = readFileSync(file, "utf8");
  for (const m of text.matchAll(/\b([a-z][a-z0-9+.-]*):\/\/(?:[^@/\s"'`]*@)?([^/:?\s"'`)\]]+)/g)) {
    // s3://BUCKET is a bucket, not a host
    if (m[1] === "s3") continue;
    check(placeholderOrInClusterHost(m[2]), `${relative(root, file)}: URL host ${m[2]} is neither a placeholder nor in-cluster`);
  }
}

if (problems.length > 0) {
  console.log(`FAIL files: ${problems.length} problem(s)`);
  for (const p of problems) console.log(`  - ${p}`);
  process.exit(1);
}
console.log(`ok   files: ${checks} checks passed (bootstrap.sql copy, generated HTTPRoutes, lock file, URLs in ${scanned.length} files)`);
