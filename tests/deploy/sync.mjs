// `bin/check-deploy --sync`: rewrites the files derived from sources outside deploy/k8s
// (kustomize cannot read files outside its root): the HTTPRoutes from deploy/gateway/routes.tsv
// (with the catch-all route's 404 body from bin/gateway-config) and the copy of
// db/bootstrap.sql. Needs no npm packages.
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gatewayProblem, readGatewayProblems } from "./problems.mjs";
import { readRoutes, renderHttpRoutes } from "./routes.mjs";

const root = process.argv[2];
const routesFile = join(root, "deploy/gateway/routes.tsv");
const notFound = gatewayProblem(readGatewayProblems(join(root, "bin/gateway-config")), 404);
const target = join(root, "deploy/k8s/base/gateway/httproutes.yaml");
writeFileSync(target, renderHttpRoutes(readRoutes(routesFile), notFound));
console.log(`sync: wrote ${target} from ${routesFile} and bin/gateway-config's 404`);
copyFileSync(join(root, "db/bootstrap.sql"), join(root, "deploy/k8s/base/database/bootstrap.sql"));
console.log("sync: copied db/bootstrap.sql to deploy/k8s/base/database/bootstrap.sql");
