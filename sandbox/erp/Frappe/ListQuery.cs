using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Storebridge.Sandbox.Erp.Frappe;

/// <summary>
/// <c>GET /api/resource/{DocType}</c> query parameters as Frappe reads them: <c>fields</c>, <c>filters</c>,
/// <c>or_filters</c>, <c>order_by</c>, <c>limit_start</c>, <c>limit_page_length</c> (or <c>limit</c>).
/// Bad parameters become a 417 ValidationError with a message saying which parameter.
/// </summary>
internal sealed record ListQuery(
    IReadOnlyList<string> Fields,
    IReadOnlyList<Filter> Filters,
    IReadOnlyList<Filter> OrFilters,
    IReadOnlyList<(string Field, bool Descending)> OrderBy,
    int Start,
    int PageLength)
{
    public const int DefaultPageLength = 20;

    public static ListQuery Parse(string doctype, IQueryCollection query)
    {
        var fields = ParseFields(query["fields"]);
        var filters = ParseFilters(doctype, "filters", query["filters"]);
        var orFilters = ParseFilters(doctype, "or_filters", query["or_filters"]);
        var orderBy = ParseOrderBy(query["order_by"]);
        var start = ParseInt("limit_start", query["limit_start"], 0);
        var length = ParseInt("limit_page_length", query["limit_page_length"].Count > 0 ? query["limit_page_length"] : query["limit"], DefaultPageLength);
        return new ListQuery(fields, filters, orFilters, orderBy, start, length);
    }

    public IEnumerable<JsonObject> Apply(IEnumerable<JsonObject> docs)
    {
        var matching = docs.Where(d => Filters.All(f => f.Matches(d)) && (OrFilters.Count == 0 || OrFilters.Any(f => f.Matches(d))));
        IOrderedEnumerable<JsonObject>? ordered = null;
        foreach (var (field, descending) in OrderBy)
        {
            var key = (Func<JsonObject, JsonNode?>)(d => d[field]);
            ordered = ordered is null
                ? descending ? matching.OrderByDescending(key, NodeComparer.Instance) : matching.OrderBy(key, NodeComparer.Instance)
                : descending ? ordered.ThenByDescending(key, NodeComparer.Instance) : ordered.ThenBy(key, NodeComparer.Instance);
        }

        var page = (ordered ?? matching).Skip(Start);
        if (PageLength > 0)
        {
            page = page.Take(PageLength);
        }

        return page.Select(Project);
    }

    private JsonObject Project(JsonObject doc)
    {
        var row = new JsonObject();
        foreach (var field in Fields)
        {
            if (field == "*")
            {
                foreach (var (key, value) in doc)
                {
                    if (value is not JsonArray)
                    {
                        row[key] = value?.DeepClone();
                    }
                }
            }
            else
            {
                row[field] = doc[field]?.DeepClone();
            }
        }

        return row;
    }

    private static List<string> ParseFields(Microsoft.Extensions.Primitives.StringValues raw)
    {
        if (raw.Count == 0 || string.IsNullOrWhiteSpace(raw[0]))
        {
            return ["name"];
        }

        var fields = ParseJson<List<string>>("fields", raw[0]!);
        foreach (var field in fields)
        {
            if (field != "*" && !IsIdentifier(field))
            {
                throw FrappeException.Validation($"Field not permitted in query: {field}", "DataError");
            }
        }

        return fields;
    }

    private static List<Filter> ParseFilters(string doctype, string parameter, Microsoft.Extensions.Primitives.StringValues raw)
    {
        if (raw.Count == 0 || string.IsNullOrWhiteSpace(raw[0]))
        {
            return [];
        }

        var node = ParseJson<JsonNode>(parameter, raw[0]!);
        var filters = new List<Filter>();
        switch (node)
        {
            case JsonObject dict:
                foreach (var (field, value) in dict)
                {
                    filters.Add(value is JsonArray pair && pair.Count == 2
                        ? Filter.Create(field, pair[0]?.ToString() ?? "=", pair[1])
                        : Filter.Create(field, "=", value));
                }

                break;
            case JsonArray list:
                foreach (var item in list)
                {
                    if (item is not JsonArray parts || parts.Count is < 3 or > 4)
                    {
                        throw FrappeException.Validation($"Invalid {parameter}: each filter is [field, operator, value] or [doctype, field, operator, value]");
                    }

                    var offset = parts.Count == 4 ? 1 : 0;
                    if (offset == 1 && parts[0]?.ToString() != doctype)
                    {
                        throw FrappeException.Validation($"Invalid {parameter}: child table filters are not supported by the simulator ({parts[0]})");
                    }

                    filters.Add(Filter.Create(parts[offset]?.ToString() ?? "", parts[offset + 1]?.ToString() ?? "=", parts[offset + 2]));
                }

                break;
            default:
                throw FrappeException.Validation($"Invalid {parameter}: expected a JSON list or object");
        }

        return filters;
    }

    private static List<(string, bool)> ParseOrderBy(Microsoft.Extensions.Primitives.StringValues raw)
    {
        var text = raw.Count == 0 || string.IsNullOrWhiteSpace(raw[0]) ? "modified desc" : raw[0]!;
        var result = new List<(string, bool)>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var words = part.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var field = words[0].Replace("`", "", StringComparison.Ordinal);
            if (field.Contains('.', StringComparison.Ordinal))
            {
                field = field[(field.LastIndexOf('.') + 1)..];
            }

            var direction = words.Length > 1 ? words[1].ToLowerInvariant() : "asc";
            if (!IsIdentifier(field) || words.Length > 2 || direction is not ("asc" or "desc"))
            {
                throw FrappeException.Validation($"Invalid order_by: {part}", "DataError");
            }

            result.Add((field, direction == "desc"));
        }

        return result;
    }

    private static int ParseInt(string parameter, Microsoft.Extensions.Primitives.StringValues raw, int fallback)
    {
        if (raw.Count == 0 || string.IsNullOrWhiteSpace(raw[0]))
        {
            return fallback;
        }

        return int.TryParse(raw[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw FrappeException.Validation($"Invalid {parameter}: {raw[0]} is not a non-negative integer");
    }

    private static T ParseJson<T>(string parameter, string text)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(text) ?? throw FrappeException.Validation($"Invalid {parameter}: null");
        }
        catch (JsonException ex)
        {
            throw FrappeException.Validation($"Invalid {parameter}: not valid JSON ({ex.Message})");
        }
    }

    private static bool IsIdentifier(string field) =>
        field.Length > 0 && field.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}

/// <summary>One condition of a list query.</summary>
internal sealed record Filter(string Field, string Operator, JsonNode? Value)
{
    private static readonly HashSet<string> Operators = ["=", "!=", ">", ">=", "<", "<=", "like", "not like", "in", "not in", "is", "between"];

    public static Filter Create(string field, string op, JsonNode? value)
    {
        op = op.Trim().ToLowerInvariant();
        if (field.Length == 0 || !field.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            throw FrappeException.Validation($"Field not permitted in query: {field}", "DataError");
        }

        if (!Operators.Contains(op))
        {
            throw FrappeException.Validation($"Operator must be one of {string.Join(", ", Operators)}");
        }

        return new Filter(field, op, value?.DeepClone());
    }

    public bool Matches(JsonObject doc)
    {
        var actual = doc[Field];
        switch (Operator)
        {
            case "is":
                var set = actual is not null && actual.ToString().Length > 0;
                return Value?.ToString() == "set" ? set : !set;
            case "in" or "not in":
                var options = Value is JsonArray array ? array.Select(v => v?.ToString() ?? "") : (Value?.ToString() ?? "").Split(',', StringSplitOptions.TrimEntries);
                var contains = options.Any(o => NodeComparer.CompareNodes(actual, JsonValue.Create(o)) == 0);
                return Operator == "in" ? contains : !contains;
            case "like" or "not like":
                var like = Like(actual?.ToString() ?? "", Value?.ToString() ?? "");
                return Operator == "like" ? like : !like;
            case "between":
                return Value is JsonArray range && range.Count == 2
                    && NodeComparer.CompareNodes(actual, range[0]) >= 0 && NodeComparer.CompareNodes(actual, range[1]) <= 0;
            default:
                var comparison = NodeComparer.CompareNodes(actual, Value);
                return Operator switch
                {
                    "=" => comparison == 0,
                    "!=" => comparison != 0,
                    ">" => comparison > 0,
                    ">=" => comparison >= 0,
                    "<" => comparison < 0,
                    _ => comparison <= 0,
                };
        }
    }

    private static bool Like(string value, string pattern)
    {
        var regex = "^" + System.Text.RegularExpressions.Regex.Escape(pattern).Replace("%", ".*", StringComparison.Ordinal).Replace("_", ".", StringComparison.Ordinal) + "$";
        return System.Text.RegularExpressions.Regex.IsMatch(value, regex, System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }
}

/// <summary>Compares JSON values the way SQL would compare the columns: numbers as numbers, the rest as text; null is "" (Frappe's ifnull).</summary>
internal sealed class NodeComparer : IComparer<JsonNode?>
{
    public static readonly NodeComparer Instance = new();

    public int Compare(JsonNode? x, JsonNode? y) => CompareNodes(x, y);

    public static int CompareNodes(JsonNode? x, JsonNode? y)
    {
        var a = Text(x);
        var b = Text(y);
        if (decimal.TryParse(a, NumberStyles.Number, CultureInfo.InvariantCulture, out var da)
            && decimal.TryParse(b, NumberStyles.Number, CultureInfo.InvariantCulture, out var db))
        {
            return da.CompareTo(db);
        }

        if (a.Length == 0 && decimal.TryParse(b, NumberStyles.Number, CultureInfo.InvariantCulture, out db))
        {
            return 0m.CompareTo(db);
        }

        if (b.Length == 0 && decimal.TryParse(a, NumberStyles.Number, CultureInfo.InvariantCulture, out da))
        {
            return da.CompareTo(0m);
        }

        return string.CompareOrdinal(a, b);
    }

    private static string Text(JsonNode? node) => node switch
    {
        null => "",
        JsonValue value when value.TryGetValue<string>(out var s) => s,
        JsonValue value when value.TryGetValue<bool>(out var b) => b ? "1" : "0",
        _ => node.ToJsonString(),
    };
}
