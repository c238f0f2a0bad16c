import assert from 'node:assert/strict';
import {
  DEFAULT_CONNECTOR_IMAGE, DEFAULT_SSM_AGENT_IMAGE, describeImages, resolveImages, validateImageReference,
} from '../../src/core/connector/images';
import type { ValidationResult } from '../../src/core/connector/names';

function failure<T>(result: ValidationResult<T>): { message: string; hint?: string } {
  assert.equal(result.ok, false, `expected a failure, got ${JSON.stringify(result)}`);
  if (result.ok) throw new Error('unreachable');
  return result;
}

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

describe('connector images', () => {
  it('pins the chart 0.0.11 images by default', () => {
    assert.equal(DEFAULT_CONNECTOR_IMAGE, 'public.ecr.aws/eks-connector/eks-connector:0.0.11');
    assert.equal(DEFAULT_SSM_AGENT_IMAGE, 'public.ecr.aws/amazon-ssm-agent/amazon-ssm-agent:3.2.2303.0');
    assert.deepEqual(resolveImages(), { connector: DEFAULT_CONNECTOR_IMAGE, ssmAgent: DEFAULT_SSM_AGENT_IMAGE });
    assert.equal(validateImageReference(DEFAULT_CONNECTOR_IMAGE).ok, true);
    assert.equal(validateImageReference(DEFAULT_SSM_AGENT_IMAGE).ok, true);
  });

  it('accepts tagged and digest references, registries with ports, and Docker Hub names', () => {
    for (const ref of [
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/mirror/eks-connector:0.0.11',
      'registry.example.com:5000/team/eks_connector:v1.2-rc.1',
      'localhost:5000/eks-connector:dev',
      `public.ecr.aws/eks-connector/eks-connector@${DIGEST}`,
      `public.ecr.aws/eks-connector/eks-connector:0.0.11@${DIGEST}`,
      'library/busybox:1.36',
      'busybox:1.36',
      'My-Registry.Example.com/team/app:1',
    ]) {
      const result = validateImageReference(ref);
      assert.deepEqual(result, { ok: true, value: ref }, ref);
    }
    assert.deepEqual(validateImageReference('  busybox:1 '), { ok: true, value: 'busybox:1' });
  });

  it('refuses empty input, blanks, uppercase repositories, missing tags and bad digests', () => {
    assert.match(failure(validateImageReference('')).message, /Enter an image reference/);
    assert.match(failure(validateImageReference('public.ecr.aws/eks connector:1')).message, /blank at position 19/);
    const upper = failure(validateImageReference('public.ecr.aws/EKS-Connector/eks-connector:0.0.11'));
    assert.match(upper.message, /must be lowercase, but "EKS-Connector" has capital letters/);
    assert.equal(upper.hint, 'Did you mean public.ecr.aws/eks-connector/eks-connector:0.0.11?');
    const untagged = failure(validateImageReference('public.ecr.aws/eks-connector/eks-connector'));
    assert.match(untagged.message, /has neither a tag nor a digest/);
    assert.match(untagged.hint ?? '', /eks-connector:<version>/);
    assert.match(failure(validateImageReference('busybox@sha256:abc')).message, /"@sha256:abc" is not a valid digest/);
    assert.match(failure(validateImageReference(`busybox@md5:${'a'.repeat(32)}`)).message, /not a valid digest/);
    assert.match(failure(validateImageReference('busybox:-bad')).message, /":-bad" is not a valid tag/);
    assert.match(failure(validateImageReference('busybox:')).message, /":" is not a valid tag/);
    assert.match(failure(validateImageReference('registry.example.com//app:1')).message, /empty part/);
    assert.match(failure(validateImageReference('registry.example.com/app-:1')).message, /"app-" is not a valid repository name part/);
    assert.match(failure(validateImageReference('registry.example.com:port/app:1')).message, /not a valid registry/);
    assert.match(failure(validateImageReference('bad_host.example.com/app:1')).message, /"bad_host.example.com" is not a valid registry host name/);
  });

  it('resolves overrides and refuses invalid ones with the reason', () => {
    assert.deepEqual(resolveImages({ connector: 'r.example.com/c:1' }), { connector: 'r.example.com/c:1', ssmAgent: DEFAULT_SSM_AGENT_IMAGE });
    assert.throws(() => resolveImages({ ssmAgent: 'Amazon/SSM:1' }), /The SSM agent image override is not valid: The repository path must be lowercase/);
    assert.throws(() => resolveImages({ ssmAgent: 'Amazon/SSM:1', origin: { ssmAgent: '--ssm-agent-image' } }), /The SSM agent image override from --ssm-agent-image is not valid/);
  });

  it('the checklist says where each image came from', () => {
    assert.deepEqual(describeImages({
      ssmAgent: 'r.example.com/ssm:1', origin: { ssmAgent: 'your user settings eksConnector.ssmAgentImage' },
    }), [
      `connector-init, connector-proxy: ${DEFAULT_CONNECTOR_IMAGE} (the pinned default)`,
      'connector-agent: r.example.com/ssm:1 (from your user settings eksConnector.ssmAgentImage)',
    ]);
    assert.deepEqual(describeImages({ connector: 'r.example.com/c:1', origin: { connector: '--connector-image' } })[0],
      'connector-init, connector-proxy: r.example.com/c:1 (from --connector-image)');
  });
});
