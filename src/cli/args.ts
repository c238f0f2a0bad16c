// Argument parsing for the `eks-connector` CLI (node:util parseArgs). Pure: returns a typed command or a usage
// error, so it is unit-tested without running anything.
import { parseArgs } from 'node:util';
import { validateNamespaceName } from '../core/connector/consoleAccess';

export const EXIT = {
  ok: 0,
  /** Unexpected failure inside the CLI itself. */
  internal: 1,
  badInput: 2,
  preflight: 3,
  aws: 4,
  cluster: 5,
  cancelled: 130,
} as const;

export type CliCommand =
  | { kind: 'register'; context?: string; region: string; name: string; provider: string; roleArn?: string; createRole?: string; grants: string[]; kubeconfig?: string; profile?: string; wait: boolean; json: boolean; yes: boolean; keepOnFailure: boolean; noNodeSelector: boolean; images: { connector?: string; ssmAgent?: string }; namespaces?: string[] }
  | { kind: 'deregister'; context?: string; region: string; name: string; kubeconfig?: string; profile?: string; json: boolean; yes: boolean }
  | { kind: 'grant' | 'revoke'; context?: string; region: string; name: string; principals: string[]; kubeconfig?: string; profile?: string; json: boolean; yes: boolean; namespaces?: string[] }
  | { kind: 'status'; context?: string; region: string; name: string; kubeconfig?: string; profile?: string; json: boolean }
  | { kind: 'help'; text: string };

export type ParseResult = { ok: true; command: CliCommand } | { ok: false; message: string };

export const USAGE = `Usage: eks-connector <command> [options]

Commands:
  register    Register the cluster of a kubeconfig context with Amazon EKS and install the EKS Connector in it
  deregister  Deregister a connected cluster and remove the connector from its context
  grant       Give IAM principals console access to a connected cluster
  revoke      Take console access away from IAM principals
  status      Show a connected cluster's registration and connector state

Options:
  --context <ctx>       kubeconfig context (default: the current context)
  --kubeconfig <file>   kubeconfig file(s), ':'-separated (default: KUBECONFIG, then ~/.kube/config)
  --region <region>     AWS region of the registration (required)
  --name <name>         EKS name of the cluster (required)
  --provider <p>        register: EKS_ANYWHERE, ANTHOS, GKE, AKS, OPENSHIFT, TANZU, RANCHER, EC2 or OTHER
  --role-arn <arn>      register: the connector agent IAM role (must trust ssm.amazonaws.com)
  --create-role <name>  register: create the agent role with this name instead of --role-arn
  --grant <arn>         register/grant/revoke: IAM principal for console access (repeatable; default: the caller)
  --namespaces <a,b>    register/grant: console access only in these namespaces (default: read access cluster-wide)
  --profile <p>         AWS profile (credentials and endpoints follow the standard AWS config and environment)
  --no-wait             register: stop once the connector is applied, without waiting for ACTIVE
  --keep-on-failure     register: keep what was created when a later step fails (default: roll back)
  --no-node-selector    register: do not pin the connector to linux/amd64 nodes
  --connector-image <ref>  register: image for connector-init and connector-proxy (default: the pinned one)
  --ssm-agent-image <ref>  register: image for connector-agent (default: the pinned one)
  --yes                 answer confirmations (non-interactive use)
  --json                print the result as JSON

Exit codes: 0 success, 2 bad input, 3 pre-flight failure, 4 AWS error, 5 cluster error, 130 cancelled.`;

export function parseCli(argv: readonly string[]): ParseResult {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') return { ok: true, command: { kind: 'help', text: USAGE } };
  if (!['register', 'deregister', 'grant', 'revoke', 'status'].includes(command)) {
    return { ok: false, message: `Unknown command "${command}". Commands: register, deregister, grant, revoke, status.` };
  }
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...rest],
      strict: true,
      allowPositionals: false,
      options: {
        context: { type: 'string' }, kubeconfig: { type: 'string' }, region: { type: 'string' }, name: { type: 'string' },
        provider: { type: 'string' }, 'role-arn': { type: 'string' }, 'create-role': { type: 'string' },
        grant: { type: 'string', multiple: true }, profile: { type: 'string' }, 'no-wait': { type: 'boolean' },
        'keep-on-failure': { type: 'boolean' }, 'no-node-selector': { type: 'boolean' }, 'connector-image': { type: 'string' }, 'ssm-agent-image': { type: 'string' }, namespaces: { type: 'string' }, yes: { type: 'boolean' }, json: { type: 'boolean' },
      },
    }));
  } catch (error) {
    return { ok: false, message: `${(error as Error).message}. Run \`eks-connector help\` for the options.` };
  }
  const str = (key: string) => (typeof values[key] === 'string' ? (values[key] as string) : undefined);
  const missing = ['region', 'name'].filter((k) => !str(k));
  if (command === 'register' && !str('provider')) missing.push('provider');
  if (missing.length) return { ok: false, message: `${command} needs ${missing.map((m) => `--${m}`).join(', ')}.` };
  const common = { context: str('context'), region: str('region')!, name: str('name')!, kubeconfig: str('kubeconfig'), profile: str('profile'), json: values.json === true };
  const grants = (values.grant as string[] | undefined) ?? [];
  const namespaces = str('namespaces')?.split(',').map((n) => n.trim()).filter(Boolean);
  if (namespaces !== undefined && namespaces.length === 0) return { ok: false, message: '--namespaces needs at least one namespace name, e.g. --namespaces team-a,team-b.' };
  if (namespaces && !['register', 'grant'].includes(command)) return { ok: false, message: `--namespaces applies to register and grant, not ${command}.` };
  for (const namespace of namespaces ?? []) {
    const valid = validateNamespaceName(namespace);
    if (!valid.ok) return { ok: false, message: `--namespaces: ${valid.message}${valid.hint ? ` ${valid.hint}` : ''}` };
  }
  switch (command) {
    case 'register':
      if (str('role-arn') && str('create-role')) return { ok: false, message: 'Give either --role-arn or --create-role, not both.' };
      if (!str('role-arn') && !str('create-role')) return { ok: false, message: 'register needs --role-arn <arn> (a role that trusts ssm.amazonaws.com) or --create-role <name>.' };
      return { ok: true, command: { kind: 'register', ...common, provider: str('provider')!, roleArn: str('role-arn'), createRole: str('create-role'), grants, wait: values['no-wait'] !== true, yes: values.yes === true, keepOnFailure: values['keep-on-failure'] === true, noNodeSelector: values['no-node-selector'] === true, images: { connector: str('connector-image'), ssmAgent: str('ssm-agent-image') }, namespaces } };
    case 'deregister':
      return { ok: true, command: { kind: 'deregister', ...common, yes: values.yes === true } };
    case 'grant':
    case 'revoke':
      if (grants.length === 0) return { ok: false, message: `${command} needs at least one --grant <IAM principal ARN>.` };
      return { ok: true, command: { kind: command, ...common, principals: grants, yes: values.yes === true, ...(command === 'grant' ? { namespaces } : {}) } };
    default:
      return { ok: true, command: { kind: 'status', ...common } };
  }
}
