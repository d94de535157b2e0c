"""Runs an emitted KQL query on DuckDB (duckdb-kql) over JSON Lines Connections logs
loaded as a Log Analytics AzureDiagnostics table, and prints the result as a JSON array
of row objects (the shape `az monitor log-analytics query -o json` prints).

Usage: python run_duckdb.py QUERY.kql LOG.json...
"""
import datetime
import json
import sys

import duckdb_kql


def rows(paths):
    for path in paths:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                line = line.strip()
                if not line:
                    continue
                record = json.loads(line)
                properties = record.get("properties") or {}
                if not isinstance(properties, str):
                    properties = json.dumps(properties)
                yield (
                    record["time"],
                    "MICROSOFT.DEVICES",
                    "IOTHUBS",
                    record.get("category", ""),
                    record.get("operationName", ""),
                    record.get("level", ""),
                    str(record.get("resultType") or ""),
                    record.get("resultDescription", "") or "",
                    properties,
                )


def main():
    query_path, logs = sys.argv[1], sys.argv[2:]
    con = duckdb_kql.connect()
    con.sql(
        "CREATE TABLE AzureDiagnostics (TimeGenerated TIMESTAMPTZ, ResourceProvider VARCHAR, "
        "ResourceType VARCHAR, Category VARCHAR, OperationName VARCHAR, Level VARCHAR, "
        "ResultType VARCHAR, ResultDescription VARCHAR, properties_s VARCHAR)"
    )
    con.executemany(
        "INSERT INTO AzureDiagnostics VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", list(rows(logs))
    )
    with open(query_path, encoding="utf-8") as text:
        query = text.read()
    result = duckdb_kql.query(con, query)
    columns = [c[0] for c in result.description]
    out = []
    for values in result.fetchall():
        row = {"TableName": "PrimaryResult"}
        for name, value in zip(columns, values):
            if isinstance(value, datetime.datetime):
                value = value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            row[name] = "" if value is None else str(value)
        out.append(row)
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
