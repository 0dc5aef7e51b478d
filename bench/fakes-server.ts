// Loopback Graph emulator and Secrets Manager fake in their own process, so the benchmark's CPU figures
// are the function's alone. Prints the endpoints and secret ARNs as one JSON line, then serves until killed.
import { APP_ID, CANARY_APP_SECRET, CANARY_TOKEN, PHONE_ID, WABA_ID } from '../test/fakes/canary';
import { startLedgerFakes } from '../test/fakes/dynamodb-local';
import { GraphEmulator } from '../test/fakes/graph-emulator';
import { SecretsManagerFake } from '../test/fakes/secrets-manager-fake';

async function main(): Promise<void> {
  const graph = await new GraphEmulator({ appId: APP_ID, appSecret: CANARY_APP_SECRET }).start();
  graph.addWaba(WABA_ID, { id: PHONE_ID });
  graph.addToken(CANARY_TOKEN, { expiresAt: Math.floor(Date.now() / 1000) + 50 * 86_400 });
  graph.requests.length = 0;
  const sm = await new SecretsManagerFake().start();
  const token = sm.createSecret('whatsapp-token-guard/primary/token', { value: JSON.stringify({ accessToken: CANARY_TOKEN }), rotationEnabled: true });
  const app = sm.createSecret('meta-app-secret', { value: JSON.stringify({ appSecret: CANARY_APP_SECRET }) });
  const ledger = await startLedgerFakes();
  // Keep memory flat over thousands of requests.
  setInterval(() => {
    graph.requests.length = 0;
    sm.calls.length = 0;
    ledger.bus.bodies.length = 0;
  }, 1000).unref();
  process.stdout.write(`${JSON.stringify({ graph: graph.baseUrl, secrets: sm.endpoint, tokenArn: token.arn, appArn: app.arn, ledgerTable: ledger.table, dynamodb: ledger.ddb.endpoint, events: ledger.bus.endpoint })}\n`);
  // "stats" on stdin: what the ledger and the bus served so far, and the ledger's items (for their size).
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    if (!chunk.includes('stats')) return;
    void ledger.ddb.items(ledger.table).then((items) => process.stdout.write(`${JSON.stringify({ ddbCalls: ledger.ddb.calls, putEventsCalls: ledger.bus.calls, events: ledger.bus.events.length, items })}\n`));
  });
}
void main();
