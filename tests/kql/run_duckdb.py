"""Runs emitted KQL queries on DuckDB (duckdb-kql) over JSON Lines Connections logs, each
loaded in turn as a Log Analytics AzureDiagnostics table. Each query is translated once
and run on every log, all in one process (startup and translation dominate the time).

Usage: python run_duckdb.py OUT_DIR QUERY.kql... -- LOG.json...

Writes OUT_DIR/<n>/<query file name>.json for the n-th log (from 0): the rows as a JSON
array of objects, every value a string, as `az monitor log-analytics query -o json`
prints them.
"""
import datetime
import json
import os
import sys

import duckdb_kql

COLUMNS = [
    ("TimeGenerated", "TIMESTAMPTZ"),
    ("ResourceProvider", "VARCHAR"),
    ("ResourceType", "VARCHAR"),
    ("Category", "VARCHAR"),
    ("OperationName", "VARCHAR"),
    ("Level", "VARCHAR"),
    ("ResultType", "VARCHAR"),
    ("ResultDescription", "VARCHAR"),
    ("properties_s", "VARCHAR"),
]


def rows(path):
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


def cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def main():
    out_dir, rest = sys.argv[1], sys.argv[2:]
    split = rest.index("--")
    queries, logs = rest[:split], rest[split + 1:]
    schema = {"AzureDiagnostics": [name for name, _ in COLUMNS]}
    translated = []
    for path in queries:
        with open(path, encoding="utf-8") as text:
            translated.append((os.path.basename(path), duckdb_kql.to_sql(text.read(), schema)))
    con = duckdb_kql.connect()
    for n, log in enumerate(logs):
        con.sql("DROP TABLE IF EXISTS AzureDiagnostics")
        con.sql(
            "CREATE TABLE AzureDiagnostics ("
            + ", ".join(f"{name} {kind}" for name, kind in COLUMNS)
            + ")"
        )
        con.executemany(
            f"INSERT INTO AzureDiagnostics VALUES ({', '.join('?' * len(COLUMNS))})",
            list(rows(log)),
        )
        os.makedirs(os.path.join(out_dir, str(n)), exist_ok=True)
        for name, sql in translated:
            result = con.execute(sql)
            columns = [c[0] for c in result.description]
            out = []
            for values in result.fetchall():
                row = {"TableName": "PrimaryResult"}
                row.update((column, cell(value)) for column, value in zip(columns, values))
                out.append(row)
            with open(os.path.join(out_dir, str(n), name + ".json"), "w", encoding="utf-8") as f:
                json.dump(out, f, indent=2)
                f.write("\n")


if __name__ == "__main__":
    main()
