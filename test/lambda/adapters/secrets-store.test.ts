import { DescribeSecretCommand, GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { SecretsStore } from '../../../lambda/adapters/secrets-store';

const sm = mockClient(SecretsManagerClient);
afterEach(() => sm.reset());

describe('SecretsStore', () => {
  it('answers undefined for a version without a value (the AWSPENDING placeholder)', async () => {
    sm.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret value for staging label: AWSPENDING", $metadata: {} }));
    await expect(new SecretsStore(new SecretsManagerClient({ region: 'us-east-1' })).get('arn', { versionId: 'v', stage: 'AWSPENDING' })).resolves.toBeUndefined();
  });

  it('passes other errors on', async () => {
    sm.on(GetSecretValueCommand).rejects(Object.assign(new Error('not authorized to perform: secretsmanager:GetSecretValue'), { name: 'AccessDeniedException' }));
    await expect(new SecretsStore(new SecretsManagerClient({ region: 'us-east-1' })).get('arn')).rejects.toThrow(/not authorized/);
  });

  it('reads versions from DescribeSecret, which lists the AWSPENDING version', async () => {
    sm.on(DescribeSecretCommand).resolves({ RotationEnabled: true, VersionIdsToStages: { a: ['AWSCURRENT'], b: ['AWSPENDING'] } });
    await expect(new SecretsStore(new SecretsManagerClient({ region: 'us-east-1' })).describe('arn')).resolves.toEqual({ rotationEnabled: true, versions: { a: ['AWSCURRENT'], b: ['AWSPENDING'] } });
  });
});
