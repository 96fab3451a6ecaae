using System.Globalization;
using System.Text.Json.Nodes;

namespace Storebridge.Sandbox.Erp.Frappe;

/// <summary>
/// In-memory documents keyed by DocType and name, with Frappe's standard fields (name, owner, creation,
/// modified, docstatus, child rows with parent/parentfield/idx). One lock guards everything: the simulator
/// favours obviously-correct rules over throughput.
/// </summary>
internal sealed class DocStore(TimeProvider time)
{
    /// <summary>Frappe's datetime format (site-local, microseconds, no offset); the simulator's site runs on UTC.</summary>
    public const string DateTimeFormat = "yyyy-MM-dd HH:mm:ss.ffffff";

    private readonly Dictionary<string, Dictionary<string, JsonObject>> _docs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _series = new(StringComparer.Ordinal);
    private DateTime _lastStamp = DateTime.MinValue;
    private long _hashCounter;

    public object Sync { get; } = new();

    public TimeProvider Time => time;

    public IEnumerable<JsonObject> All(string doctype) =>
        _docs.TryGetValue(doctype, out var docs) ? docs.Values : [];

    public bool HasDocType(string doctype) => _docs.ContainsKey(doctype);

    public void EnsureDocType(string doctype) => _docs.TryAdd(doctype, new(StringComparer.Ordinal));

    public JsonObject? Find(string doctype, string name) =>
        _docs.TryGetValue(doctype, out var docs) && docs.TryGetValue(name, out var doc) ? doc : null;

    public JsonObject Get(string doctype, string name) => Find(doctype, name) ?? throw FrappeException.NotFound(doctype, name);

    public bool Exists(string doctype, string name) => Find(doctype, name) is not null;

    /// <summary>
    /// A strictly increasing timestamp: two writes never share a <c>modified</c> value, so a cursor on it is exact.
    /// Real ERPNext can repeat values; the adapter's cursor copes with that anyway (it tie-breaks on name).
    /// </summary>
    public string NextStamp()
    {
        var now = time.GetUtcNow().UtcDateTime;
        now = new DateTime(now.Ticks - (now.Ticks % 10), DateTimeKind.Utc);
        if (now <= _lastStamp)
        {
            now = _lastStamp.AddTicks(10);
        }

        _lastStamp = now;
        return now.ToString(DateTimeFormat, CultureInfo.InvariantCulture);
    }

    /// <summary>Later writes get stamps after this instant (seeded documents are dated at the seed's fixed instant).</summary>
    public void NotBefore(DateTimeOffset instant)
    {
        if (instant.UtcDateTime > _lastStamp)
        {
            _lastStamp = instant.UtcDateTime;
        }
    }

    public string Today() => time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>A naming-series name such as <c>SAL-ORD-2026-00001</c>.</summary>
    public string NextName(string prefix)
    {
        var year = time.GetUtcNow().Year.ToString(CultureInfo.InvariantCulture);
        var key = $"{prefix}{year}";
        var next = _series.GetValueOrDefault(key) + 1;
        _series[key] = next;
        return $"{prefix}{year}-{next:D5}";
    }

    /// <summary>A random-looking but deterministic name, like Frappe's hash autoname.</summary>
    public string NextHash() => (++_hashCounter * 2654435761L % 0xFFFFFFFFFFL).ToString("x10", CultureInfo.InvariantCulture);

    /// <summary>Stores a new document, filling the standard fields of it and its child rows.</summary>
    public JsonObject Insert(string doctype, string name, JsonObject doc, string? stamp = null, string owner = "Administrator")
    {
        EnsureDocType(doctype);
        if (_docs[doctype].ContainsKey(name))
        {
            throw FrappeException.Duplicate(doctype, name);
        }

        stamp ??= NextStamp();
        doc["name"] = name;
        doc["owner"] = owner;
        doc["creation"] = stamp;
        doc["modified"] = stamp;
        doc["modified_by"] = owner;
        doc["docstatus"] ??= 0;
        doc["idx"] = 0;
        doc["doctype"] = doctype;
        FixChildren(doctype, doc);
        _docs[doctype][name] = doc;
        return doc;
    }

    public void Touch(JsonObject doc, string user = "Administrator")
    {
        doc["modified"] = NextStamp();
        doc["modified_by"] = user;
        FixChildren((string)doc["doctype"]!, doc);
    }

    public void Delete(string doctype, string name) => _docs[doctype].Remove(name);

    private void FixChildren(string doctype, JsonObject doc)
    {
        var name = (string)doc["name"]!;
        var docstatus = doc["docstatus"]!.GetValue<int>();
        foreach (var (field, value) in doc.ToList())
        {
            if (value is not JsonArray rows)
            {
                continue;
            }

            var idx = 0;
            foreach (var row in rows.OfType<JsonObject>())
            {
                row["name"] ??= NextHash();
                row["parent"] = name;
                row["parentfield"] = field;
                row["parenttype"] = doctype;
                row["idx"] = ++idx;
                row["docstatus"] = docstatus;
                row["owner"] ??= doc["owner"]?.DeepClone();
                row["creation"] ??= doc["creation"]?.DeepClone();
                row["modified"] = doc["modified"]?.DeepClone();
            }
        }
    }
}
