// The roll-back/keep dialog shows the error that stopped a connect: an activation code quoted in it is masked, as in
// every other message.
import assert from 'node:assert/strict';
import { SecretRedactor } from '../../src/core/util/redact';
import { rollbackDialogText } from '../../src/registration/rollbackDialog';

describe('roll-back/keep dialog text', () => {
  const code = 'q7Zr+Tn2/Wx9LmPk4Hs8Vd1Bc6Fy0GjUe3Ra';

  it('masks the activation code wherever the error quotes it', () => {
    const redactor = new SecretRedactor();
    // connect() hands the code to the redactor as soon as RegisterCluster returns it.
    redactor.add(code);
    const error = new Error(`Applying Secret eks-connector/eks-connector-activation-config failed: admission webhook denied {"data":{"code":"${Buffer.from(code).toString('base64')}"}} for ${code}`);
    const text = rollbackDialogText('edge-1', error, [`the EKS registration edge-1 in us-west-2 (PENDING) with ${code}`], redactor);
    const shown = `${text.message}\n${text.detail}`;
    assert.ok(!shown.includes(code), shown);
    assert.ok(!shown.includes(Buffer.from(code).toString('base64')), shown);
    assert.match(text.message, /^Connecting edge-1 failed: Applying Secret eks-connector\/eks-connector-activation-config failed: /);
    assert.match(text.detail, /^Created so far: the EKS registration edge-1 in us-west-2 \(PENDING\)/);
  });

  it('masks a code under a field name even before the redactor knows its value', () => {
    const text = rollbackDialogText('edge-2', new Error(`RegisterCluster answered {"activationCode":"${code}"}`), [], new SecretRedactor());
    assert.ok(!text.message.includes(code), text.message);
  });
});
