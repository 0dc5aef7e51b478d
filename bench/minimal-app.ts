// The yardstick for synth time: the smallest CDK app with one NodejsFunction bundled the same way.
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';

const app = new App();
const stack = new Stack(app, 'MinimalFunction');
new nodejs.NodejsFunction(stack, 'Fn', {
  entry: path.join(__dirname, 'minimal-handler.ts'),
  runtime: lambda.Runtime.NODEJS_24_X,
  architecture: lambda.Architecture.ARM_64,
  depsLockFilePath: path.join(__dirname, '..', 'package-lock.json'),
  bundling: { minify: true, logLevel: nodejs.LogLevel.WARNING },
});
app.synth();
