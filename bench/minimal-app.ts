// The yardstick for synth time: the smallest CDK app with one prebuilt-code function, as the guard's are.
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';

const app = new App();
const stack = new Stack(app, 'MinimalFunction');
new lambda.Function(stack, 'Fn', {
  code: lambda.Code.fromInline('exports.handler = async () => "ok";'),
  handler: 'index.handler',
  runtime: lambda.Runtime.NODEJS_24_X,
  architecture: lambda.Architecture.ARM_64,
});
app.synth();
