// `eks-connector`: the headless face of the connector service, for pipelines and end-to-end tests. AWS credentials
// and endpoints come from the standard AWS environment and config; the cluster from a kubeconfig context. Input is
// checked in stages, each before the next is touched: the arguments, then the kubeconfig, then AWS and the cluster.
import './sdkNodeNotice';
import { AwsSession } from '../core/aws/session';
import { KubeCluster } from '../core/kube/kubeCluster';
import { kubeConfigFor, loadKubeconfig } from '../core/kube/kubeconfig';
import { ConnectorError, ConnectorService, formatGrant, type ConnectorCheck, type FailureCategory } from '../core/connector/connectorService';
import type { ConsoleAccessScope } from '../core/connector/consoleAccess';
import { ClusterContextResolver, describeUnresolved } from '../core/connector/clusterContextResolver';
import { RegistrationApi } from '../core/connector/registrationApi';
import { isCancellation } from '../core/util/abort';
import { describeImages } from '../core/connector/images';
import { SecretRedactor } from '../core/util/redact';
import { EXIT, InputError, parseCli, unlistedRegionWarning, wantsJson, type CliCommand } from './args';
import { kubeConfigForCli } from './kubeContext';

const EXIT_FOR: Record<FailureCategory, number> = {
  input: EXIT.badInput, preflight: EXIT.preflight, aws: EXIT.aws, cluster: EXIT.cluster, cancelled: EXIT.cancelled,
};

class Output {
  constructor(private readonly json: boolean, private readonly redactor: SecretRedactor) {}
  /** Progress and human output go to stderr in JSON mode, so stdout stays one JSON document. */
  line(text: string): void {
    (this.json ? process.stderr : process.stdout).write(`${this.redactor.redact(text)}\n`);
  }
  result(value: unknown, human: () => void): void {
    if (this.json) process.stdout.write(`${this.redactor.redact(JSON.stringify(value, null, 2))}\n`);
    else human();
  }
  error(message: string): void {
    process.stderr.write(`eks-connector: ${this.redactor.redact(message)}\n`);
  }
}

function printChecks(out: Output, checks: readonly ConnectorCheck[]): void {
  for (const c of checks) {
    const mark = c.status === 'pass' ? '✔' : c.status === 'warn' ? '!' : '✘';
    out.line(`  ${mark} ${c.title}${c.reason ? `: ${c.reason}` : ''}`);
    if (c.status !== 'pass' && c.fix) out.line(`      fix: ${c.fix}`);
    for (const d of c.details ?? []) if (c.status !== 'pass') out.line(`      - ${d}`);
  }
}

async function run(command: CliCommand, out: Output, redactor: SecretRedactor, signal: AbortSignal): Promise<number> {
  if (command.kind === 'help') {
    process.stdout.write(`${command.text}\n`);
    return EXIT.ok;
  }
  // Before AWS: register needs its context (given or current); the other commands find the registration's cluster
  // themselves, so for them only a --context they name is checked here.
  const kubeConfig = await kubeConfigForCli({ command: command.kind, context: command.context, kubeconfig: command.kubeconfig, required: command.kind === 'register' });
  const kube = kubeConfig && new KubeCluster(kubeConfig);
  const session = new AwsSession({ profile: command.profile, appId: 'eks-connector-cli' });
  try {
    const service = new ConnectorService({ session, kube, redactor });
    const target = { region: command.region, name: command.name };
    const serviceOn = (cluster: KubeCluster | undefined) => new ConnectorService({ session, kube: cluster, redactor });
    switch (command.kind) {
      case 'register': {
        const grants = command.grants.map((principalArn) => ({ principalArn, scope: scopeOf(command.namespaces) }));
        out.line(`Connecting the cluster of context ${kube!.contextName} as ${command.name} in ${command.region}`);
        // The images receive the activation code: say which, and which flag chose a non-default one.
        const images = { ...command.images, origin: { connector: '--connector-image', ssmAgent: '--ssm-agent-image' } };
        if (command.images.connector !== undefined || command.images.ssmAgent !== undefined) for (const line of describeImages(images)) out.line(`  image ${line}`);
        const result = await service.connect({
          region: command.region, name: command.name, provider: command.provider,
          role: command.createRole ? { kind: 'create', name: command.createRole } : { kind: 'existing', arn: command.roleArn! },
          grants, callerScope: scopeOf(command.namespaces), nodeSelector: !command.noNodeSelector, images,
        }, {
          signal, wait: command.wait,
          onProgress: (p) => out.line(`  [${p.step}] ${p.message}`),
          onFailure: async () => (command.keepOnFailure ? 'keep' : 'rollback'),
        });
        out.result({ name: command.name, region: command.region, status: result.cluster.status, arn: result.cluster.arn, resumed: result.resumed, roleArn: result.roleArn, applied: result.applied, activationExpiry: result.cluster.connectorConfig?.activationExpiry },
          () => out.line(`${command.name} is ${result.cluster.status}${result.cluster.status === 'PENDING' ? ` (activation expires ${result.cluster.connectorConfig?.activationExpiry?.toISOString()})` : ''}.`));
        return EXIT.ok;
      }
      case 'deregister': {
        if (!command.yes) throw new ConnectorError(`Deregistering ${command.name} removes its registration and the connector from the cluster that runs it.`, 'input', [], undefined, 'Add --yes to confirm.');
        // Without the connector's context only the AWS side is removed; a connector left in a cluster is reported.
        const found = await findCluster(command, session, signal);
        const deregistered = await serviceOn(found.kube).deregister(target, { signal, onProgress: (m) => out.line(`  ${m}`), kube: found.kube !== undefined });
        const report = { ...deregistered, remaining: [...deregistered.remaining, ...(found.refusal && found.registered ? [`the connector in the cluster: ${found.refusal.message} ${found.refusal.fix}`] : [])] };
        out.result(report, () => {
          for (const d of report.done) out.line(`  ✔ ${d}`);
          for (const r of report.remaining) out.line(`  ✘ left: ${r}`);
        });
        return report.remaining.length ? EXIT.aws : EXIT.ok;
      }
      case 'grant':
      case 'revoke': {
        const principals = command.principals;
        const onCluster = serviceOn(await requireCluster(command, session, signal));
        const report = command.kind === 'grant'
          ? await onCluster.grant(target, principals.map((principalArn) => ({ principalArn, scope: scopeOf(command.namespaces) })), signal)
          : await onCluster.revoke(target, principals, signal);
        out.result({ ...report, principals }, () => report.done.forEach((d) => out.line(`  ✔ ${d}`)));
        return EXIT.ok;
      }
      case 'status': {
        // A name that is not registered has no cluster to look at; a registered one must be found.
        const found = await findCluster(command, session, signal);
        if (found.refusal && found.registered) throw found.refusal;
        const status = await serviceOn(found.kube).status(target, signal);
        out.result({ status: status.cluster?.status ?? 'NOT_REGISTERED', arn: status.cluster?.arn, provider: status.cluster?.connectorConfig?.provider, activationExpiry: status.cluster?.connectorConfig?.activationExpiry, pods: status.pods, grants: status.grants.map(formatGrant), ...(status.grantsError ? { grantsError: status.grantsError } : {}) }, () => {
          out.line(`${command.name} in ${command.region}: ${status.cluster?.status ?? 'not registered'}`);
          for (const p of status.pods) out.line(`  pod ${p.name}: ${p.phase}${p.problem ? ` — ${p.problem}` : ''}`);
          for (const g of status.grants) out.line(`  console access: ${formatGrant(g)}`);
          if (status.grantsError) out.line(`  console access: could not be read: ${status.grantsError}`);
        });
        return EXIT.ok;
      }
    }
  } finally {
    session.dispose();
  }
}

/**
 * The cluster of the registration, through --context or else the current context, recognised by its connector's
 * activation id. No other context is sent a request: the refusal lists them and asks for --context.
 */
async function findCluster(command: Extract<CliCommand, { region: string }>, session: AwsSession, signal: AbortSignal): Promise<{ kube?: KubeCluster; registered: boolean; refusal?: ConnectorError }> {
  const loaded = await loadKubeconfig(command.kubeconfig !== undefined ? { kubeconfigEnv: command.kubeconfig } : {});
  const resolver = new ClusterContextResolver({
    kubeconfig: { contexts: loaded.contexts, currentContext: loaded.currentContext, open: (name, options) => new KubeCluster(kubeConfigFor(name, loaded), options) },
    registration: new RegistrationApi(session),
  });
  const target = { region: command.region, name: command.name };
  const resolution = await resolver.resolve(target, { context: command.context, signal, ask: async () => undefined });
  if (resolution.found) return { kube: resolution.kube, registered: resolution.cluster !== undefined };
  const others = resolution.untried.length ? `: one of ${resolution.untried.join(', ')}` : '';
  return {
    registered: resolution.cluster !== undefined,
    refusal: new ConnectorError(describeUnresolved(target, resolution), 'input', [], undefined, `Pass --context <name> with the context of ${command.name}'s cluster${others}.`),
  };
}

async function requireCluster(command: Extract<CliCommand, { region: string }>, session: AwsSession, signal: AbortSignal): Promise<KubeCluster> {
  const found = await findCluster(command, session, signal);
  if (!found.kube) throw found.refusal!;
  return found.kube;
}

/** Console access for --namespaces: read access in those namespaces only; without it, read access cluster-wide. */
function scopeOf(namespaces: string[] | undefined): ConsoleAccessScope {
  return namespaces ? { kind: 'namespaces', namespaces } : { kind: 'full' };
}

/** Every problem on a line of its own on stderr; with --json also the error object on stdout, problems listed. */
function reportInputError(error: InputError, out: Output): void {
  out.error(error.summary);
  for (const p of error.problems) out.error(p.message);
  if (error.fix) out.error(`fix: ${error.fix}`);
  out.result({ error: error.summary, category: 'input', fix: error.fix, remaining: [], problems: error.problems }, () => undefined);
}

async function main(): Promise<void> {
  const redactor = new SecretRedactor();
  const argv = process.argv.slice(2);
  const parsed = parseCli(argv);
  if (!parsed.ok) {
    reportInputError(parsed.error, new Output(wantsJson(argv), redactor));
    process.exitCode = EXIT.badInput;
    return;
  }
  const json = 'json' in parsed.command && parsed.command.json === true;
  const out = new Output(json, redactor);
  const unlisted = 'region' in parsed.command ? unlistedRegionWarning(parsed.command.region) : undefined;
  if (unlisted) process.stderr.write(`eks-connector: ${unlisted}\n`);
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());
  try {
    process.exitCode = await run(parsed.command, out, redactor, abort.signal);
  } catch (error) {
    if (error instanceof InputError) {
      reportInputError(error, out);
      process.exitCode = EXIT.badInput;
    } else if (error instanceof ConnectorError) {
      out.error(error.message);
      if (error.checks) printChecks(new Output(false, redactor), error.checks.filter((c) => c.status !== 'pass'));
      if (error.fix) out.error(`fix: ${error.fix}`);
      for (const r of error.remaining) out.error(`left behind: ${r}`);
      if (json) out.result({ error: error.message, category: error.category, fix: error.fix, remaining: error.remaining, checks: error.checks }, () => undefined);
      process.exitCode = EXIT_FOR[error.category];
    } else if (isCancellation(error)) {
      out.error('cancelled');
      process.exitCode = EXIT.cancelled;
    } else {
      out.error(error instanceof Error ? error.message : String(error));
      process.exitCode = EXIT.internal;
    }
  }
}

void main();
