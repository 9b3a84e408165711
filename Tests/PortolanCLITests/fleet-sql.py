import duckdb, json, sys
folder, catalog = sys.argv[1], sys.argv[2]
db = duckdb.connect()
db.execute(f"""
CREATE VIEW flows AS
  SELECT regexp_extract(filename, '([^/]+)\\.jsonl$', 1) AS node, *
  FROM read_json_auto('{folder}/*.jsonl', filename = true, union_by_name = true, format = 'newline_delimited');
CREATE VIEW entries AS
  SELECT e.catalog, e.component, e.proto, e.ports[1] AS lo, e.ports[2] AS hi
  FROM (SELECT unnest(entries) AS e FROM read_json_auto('{catalog}'))
  WHERE e.ports IS NOT NULL AND e.edition = 'open';
""")
blocked = db.execute("""
  SELECT node, coalesce(component, 'unknown') AS component, count(*) AS flows
  FROM flows WHERE verdict IN ('blocked-drop', 'blocked-rst', 'blocked-icmp')
  GROUP BY ALL ORDER BY ALL""").fetchall()
unseen = db.execute("""
  SELECT catalog, component, proto, lo, hi FROM entries e
  WHERE NOT EXISTS (SELECT 1 FROM flows f WHERE f.proto = e.proto AND f.server_port BETWEEN e.lo AND e.hi)
  ORDER BY ALL""").fetchall()
print(json.dumps({"blocked": blocked, "unseen": unseen}))
