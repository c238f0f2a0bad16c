// Container images of the connector. Defaults are pinned to the versions of Helm chart 0.0.11 (docs/connector-reference.md#images) so that
// every install runs the same bits; users may override them (for example with a mirror in a private registry) and
// the override is checked before it reaches the StatefulSet, where a bad reference would only show as ImagePullBackOff.
import type { ValidationResult } from './names';

export const DEFAULT_CONNECTOR_IMAGE = 'public.ecr.aws/eks-connector/eks-connector:0.0.11';
export const DEFAULT_SSM_AGENT_IMAGE = 'public.ecr.aws/amazon-ssm-agent/amazon-ssm-agent:3.2.2303.0';

export interface ImageOverrides {
  readonly connector?: string;
  readonly ssmAgent?: string;
  /**
   * Where each override was set, as the checklist and errors name it: "your user settings
   * eksConnector.connectorImage", "--connector-image". These images receive the activation code, so the user must
   * be able to see which setting chose them.
   */
  readonly origin?: { readonly connector?: string; readonly ssmAgent?: string };
}

/** The containers each image runs in (as the manifest names them). */
const CONTAINERS_OF = { connector: 'connector-init, connector-proxy', ssmAgent: 'connector-agent' } as const;

export interface ConnectorImages {
  /** Used by the `connector-init` and `connector-proxy` containers. */
  readonly connector: string;
  /** Used by the `connector-agent` container. */
  readonly ssmAgent: string;
}

// Grammar of github.com/distribution/reference, reduced to what registries accept in practice.
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)$/;
const PORT = /^\d{1,5}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
const NAME_MAX_LENGTH = 255;
const EXAMPLE = 'registry.example.com/team/eks-connector:0.0.11';

const fail = (message: string, hint?: string): { ok: false; message: string; hint?: string } =>
  hint === undefined ? { ok: false, message } : { ok: false, message, hint };

/**
 * `[registry[:port]/]repository[:tag][@sha256:<64 hex>]`, with a tag or a digest required so the image stays pinned.
 * Returns the reference without surrounding blanks.
 */
export function validateImageReference(ref: string): ValidationResult {
  const reference = ref.trim();
  if (reference.length === 0) return fail('Enter an image reference.', `For example ${EXAMPLE}.`);
  const blank = reference.search(/\s/);
  if (blank >= 0) return fail(`The image reference contains a blank at position ${blank + 1}; image references have no spaces.`);

  let rest = reference;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!SHA256_DIGEST.test(digest)) {
      return fail(`"@${digest}" is not a valid digest.`, 'A digest is "@sha256:" followed by 64 lowercase hexadecimal characters.');
    }
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) {
      return fail(`":${tag}" is not a valid tag.`, 'Tags have up to 128 letters, digits, "_", "." and "-", and do not start with "." or "-".');
    }
  }
  if (tag === undefined && digest === undefined) {
    return fail(`"${reference}" has neither a tag nor a digest.`, `Pin the image, for example ${reference}:<version> or ${reference}@sha256:<digest>.`);
  }

  const components = rest.split('/');
  // As in Docker: the first component is a registry when it has a "." or ":" or is "localhost".
  const hasRegistry = components.length > 1 && (/[.:]/.test(components[0]) || components[0] === 'localhost');
  if (hasRegistry) {
    const registryError = checkRegistry(components[0]);
    if (registryError) return fail(registryError);
  }
  const path = hasRegistry ? components.slice(1) : components;
  if (rest.length > NAME_MAX_LENGTH) return fail(`The image name is ${rest.length} characters long; the limit is ${NAME_MAX_LENGTH}.`);
  for (const component of path) {
    if (component === '') return fail('The repository path has an empty part ("//" or a trailing "/").', `For example ${EXAMPLE}.`);
    if (component !== component.toLowerCase()) {
      const lowered = [...(hasRegistry ? [components[0]] : []), ...path.map((p) => p.toLowerCase())].join('/');
      return fail(`The repository path must be lowercase, but "${component}" has capital letters.`, `Did you mean ${lowered}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}?`);
    }
    if (!PATH_COMPONENT.test(component)) {
      return fail(`"${component}" is not a valid repository name part: use lowercase letters and digits, separated by ".", "_", "__" or "-".`);
    }
  }
  return { ok: true, value: reference };
}

function checkRegistry(registry: string): string | undefined {
  const [host, port, ...extra] = registry.split(':');
  if (extra.length > 0 || (port !== undefined && !PORT.test(port))) return `"${registry}" is not a valid registry: expected host or host:port.`;
  if (!host.split('.').every((label) => DOMAIN_COMPONENT.test(label))) return `"${host}" is not a valid registry host name.`;
  return undefined;
}

/** The images to deploy: the pinned defaults, or checked overrides. Throws with the reason for a bad override. */
export function resolveImages(overrides: ImageOverrides = {}): ConnectorImages {
  const pick = (value: string | undefined, fallback: string, what: string, origin: string | undefined): string => {
    if (value === undefined) return fallback;
    const result = validateImageReference(value);
    if (!result.ok) {
      throw new Error(`The ${what} image override${origin ? ` from ${origin}` : ''} is not valid: ${result.message}${result.hint ? ` ${result.hint}` : ''}`);
    }
    return result.value;
  };
  return {
    connector: pick(overrides.connector, DEFAULT_CONNECTOR_IMAGE, 'EKS connector', overrides.origin?.connector),
    ssmAgent: pick(overrides.ssmAgent, DEFAULT_SSM_AGENT_IMAGE, 'SSM agent', overrides.origin?.ssmAgent),
  };
}

/**
 * One checklist line per image: the containers, the image, and where it came from ("from your user settings
 * eksConnector.ssmAgentImage", "from --ssm-agent-image", or the pinned default). Throws like resolveImages.
 */
export function describeImages(overrides: ImageOverrides = {}): string[] {
  const images = resolveImages(overrides);
  const from = (value: string | undefined, origin: string | undefined) =>
    value === undefined ? 'the pinned default' : `from ${origin ?? 'an override'}`;
  return [
    `${CONTAINERS_OF.connector}: ${images.connector} (${from(overrides.connector, overrides.origin?.connector)})`,
    `${CONTAINERS_OF.ssmAgent}: ${images.ssmAgent} (${from(overrides.ssmAgent, overrides.origin?.ssmAgent)})`,
  ];
}
