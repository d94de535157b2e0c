//! The one `let` that differs between sources: it turns each source's columns into the
//! same `Conn` table (`Time`, `Operation`, `Level`, `Code`, `DeviceId`, `ModuleId`,
//! `SdkVersion`, `Protocol`, `Identity`) that the rest of the query reads.

use super::Source;

/// The table each source reads and how it reaches the properties bag.
pub fn conn(source: &Source) -> String {
    let rows = match source {
        // Log Analytics: only AzureDiagnostics holds Connections, the bag as JSON text.
        Source::LogAnalytics => "AzureDiagnostics\n\
             | where ResourceProvider == \"MICROSOFT.DEVICES\" and ResourceType == \"IOTHUBS\" \
             and Category == \"Connections\"\n\
             | extend P = parse_json(properties_s)\n\
             | project Time = TimeGenerated, Operation = OperationName, Level, Code = ResultType, P"
            .to_string(),
        // Azure Data Explorer, records already expanded into the raw field names.
        Source::Adx(table) => format!(
            "{table}\n\
             | where category == \"Connections\"\n\
             | extend P = parse_json(tostring(properties))\n\
             | project Time = todatetime(['time']), Operation = tostring(operationName), \
             Level = tostring(level), Code = tostring(resultType), P"
        ),
        // Azure Data Explorer, each row one raw `{"records":[...]}` body.
        Source::AdxRaw(table) => format!(
            "{table}\n\
             | mv-expand R = records\n\
             | where tostring(R.category) == \"Connections\"\n\
             | extend P = parse_json(tostring(R.properties))\n\
             | project Time = todatetime(R['time']), Operation = tostring(R.operationName), \
             Level = tostring(R.level), Code = tostring(R.resultType), P"
        ),
    };
    format!(
        "let Conn = {rows}\n\
         | extend DeviceId = tostring(P.deviceId), ModuleId = tostring(P.moduleId), \
         SdkVersion = tostring(P.sdkVersion), Protocol = tostring(P.protocol)\n\
         | where isnotempty(DeviceId)\n\
         | extend Identity = iff(isempty(ModuleId), DeviceId, strcat(DeviceId, \"/\", ModuleId))\n\
         | project Time, Operation, Level, Code, DeviceId, ModuleId, SdkVersion, Protocol, Identity"
    )
}
