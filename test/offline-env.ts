import * as os from 'node:os';

/**
 * The environment of a command run as an offline user would run it: no AWS credentials or profile, no instance
 * metadata lookups, a home without the developer's ~/.aws, a region set so SDK clients construct.
 */
export const OFFLINE_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: os.tmpdir(),
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: '/nonexistent',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
  AWS_REGION: 'us-east-1',
  CI: 'true',
};
