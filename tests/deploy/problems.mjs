// The errors the local nginx gateway answers itself, read from bin/gateway-config (its
// `print_problem_location STATUS "Title" "Detail"` calls and the body template of that function),
// so that the Kubernetes gateway can be held to the same problem+json bodies. Needs no npm
// packages (sync.mjs uses it).
import { readFileSync } from "node:fs";

export const PROBLEM_JSON = "application/problem+json";

// [{ status, title, detail, problem, body }] in file order: `problem` is the body as an object,
// `body` the exact text nginx sends.
export function readGatewayProblems(file) {
  const script = readFileSync(file, "utf8");
  const template = /print_problem_location\(\)\s*\{[\s\S]*?printf "[^"]*return %s '(\{[^']*\})';/.exec(script);
  if (!template) throw new Error(`${file}: no print_problem_location body template found`);
  // the printf template, e.g. {\"type\":\"about:blank\",\"title\":\"%s\",\"status\":%s,\"detail\":\"%s\"}
  const format = template[1].replace(/\\"/g, '"');
  const problems = [];
  for (const call of script.matchAll(/^\$\(print_problem_location ([0-9]{3}) "([^"]*)" "([^"]*)"\)$/gm)) {
    const [, status, title, detail] = call;
    const values = [title, status, detail];
    const body = format.replace(/%s/g, () => values.shift());
    let problem;
    try {
      problem = JSON.parse(body);
    } catch (error) {
      throw new Error(`${file}: the ${status} problem body is not JSON: ${body}`);
    }
    if (problem.status !== Number(status)) throw new Error(`${file}: the ${status} problem body says status ${problem.status}`);
    problems.push({ status: Number(status), title, detail, problem, body });
  }
  if (problems.length === 0) throw new Error(`${file}: no print_problem_location calls found`);
  return problems;
}

// The problem+json body of one status, or throws.
export function gatewayProblem(problems, status) {
  const found = problems.find((p) => p.status === status);
  if (!found) throw new Error(`bin/gateway-config answers no ${status} problem`);
  return found;
}
