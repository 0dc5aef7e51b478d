// Tests reach loopback only: never let the SDK's credential chain try the EC2 metadata endpoint, and
// never pick up the developer's own AWS profile or region.
process.env.AWS_EC2_METADATA_DISABLED = 'true';
delete process.env.AWS_PROFILE;
delete process.env.AWS_DEFAULT_PROFILE;
delete process.env.AWS_ENDPOINT_URL;
process.env.AWS_REGION = 'us-east-1';
