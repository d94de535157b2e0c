// Parses and semantically analyzes KQL files with Kusto.Language (Microsoft's KQL
// compiler, from @kusto/language-service-next), against the schemas of the sources the
// tool supports. Usage: node check.js [--expect-failure] FILE...
// Exits 1 when a file has a diagnostic (or, with --expect-failure, when one has none).
'use strict';
const fs = require('fs');
const path = require('path');

const pkg = path.dirname(require.resolve('@kusto/language-service-next/package.json'));
require(path.join(pkg, 'bridge.js'));
require(path.join(pkg, 'Kusto.Language.Bridge.js'));
const K = globalThis.Kusto.Language;

// Log Analytics: the AzureDiagnostics columns the query reads (and a few more).
const azureDiagnostics = K.Symbols.TableSymbol.From(
  '(TenantId:string, TimeGenerated:datetime, ResourceId:string, Category:string, ' +
  'ResourceGroup:string, SubscriptionId:string, ResourceProvider:string, Resource:string, ' +
  'ResourceType:string, OperationName:string, ResultType:string, CorrelationId:string, ' +
  'ResultDescription:string, Level:string, location_s:string, properties_s:string, ' +
  'DurationMs:long, CallerIPAddress:string, Type:string, _ResourceId:string)'
).WithName('AzureDiagnostics');
// Azure Data Explorer: records expanded into their raw names, and raw bodies.
const expanded = "(['time']:datetime, resourceId:string, operationName:string, category:string, " +
  'level:string, resultType:string, resultDescription:string, durationMs:long, ' +
  'location:string, properties:dynamic)';
const tables = [
  azureDiagnostics,
  K.Symbols.TableSymbol.From(expanded).WithName('IotHubConnections'),
  K.Symbols.TableSymbol.From('(records:dynamic)').WithName('IotHubRaw'),
];
const db = new K.Symbols.DatabaseSymbol.$ctor1('Workspace', tables);
const globals = K.GlobalState.Default.WithDatabase(db);

const args = process.argv.slice(2);
const expectFailure = args[0] === '--expect-failure';
const files = expectFailure ? args.slice(1) : args;
if (files.length === 0) {
  console.error('check.js: no query files given');
  process.exit(2);
}
let bad = 0;
for (const file of files) {
  const text = fs.readFileSync(file, 'utf8');
  const code = K.KustoCode.ParseAndAnalyze(text, globals);
  const diagnostics = code.GetDiagnostics();
  const count = diagnostics.Count;
  if (expectFailure) {
    if (count === 0) {
      console.error(`${file}: expected diagnostics, got none`);
      bad++;
    } else {
      console.log(`${file}: fails as expected (${count} diagnostic(s))`);
    }
    continue;
  }
  for (let i = 0; i < count; i++) {
    const d = diagnostics.getItem(i);
    const before = text.slice(0, d.Start);
    const line = before.split('\n').length;
    const column = d.Start - before.lastIndexOf('\n');
    console.error(`${file}:${line}:${column}: ${d.Severity} ${d.Code}: ${d.Message}`);
  }
  if (count > 0) {
    bad++;
  } else {
    console.log(`${file}: ok`);
  }
}
process.exit(bad === 0 ? 0 : 1);
