using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Storebridge.Sandbox.Erp.Frappe;

/// <summary>Tolerant reads of document fields (Frappe sends 1/0 for checks and numbers or strings for floats).</summary>
internal static class Json
{
    public static string Str(this JsonObject doc, string field) => doc[field] switch
    {
        null => "",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        var node => node.ToJsonString(),
    };

    /// <summary>Frappe writes JSON with plain escapes (\" not \u0022); so does the simulator.</summary>
    public static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static decimal Dec(this JsonObject doc, string field)
    {
        var node = doc[field];
        if (node is null)
        {
            return 0m;
        }

        if (node is JsonValue value)
        {
            switch (value.GetValueKind())
            {
                case JsonValueKind.Number when decimal.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number):
                    return number;
                case JsonValueKind.String when decimal.TryParse(value.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed):
                    return parsed;
                case JsonValueKind.String when value.GetValue<string>().Length == 0:
                    return 0m;
                case JsonValueKind.True:
                    return 1m;
                case JsonValueKind.False:
                    return 0m;
            }
        }

        throw FrappeException.Validation($"Field {field}: {node.ToJsonString()} is not a number");
    }

    public static int Int(this JsonObject doc, string field) => (int)doc.Dec(field);

    public static bool Flag(this JsonObject doc, string field) => doc.Dec(field) != 0m;

    public static JsonArray Rows(this JsonObject doc, string field)
    {
        switch (doc[field])
        {
            case null:
                var rows = new JsonArray();
                doc[field] = rows;
                return rows;
            case JsonArray array when array.All(r => r is JsonObject):
                return array;
            default:
                throw FrappeException.Validation($"Field {field} must be a list of rows");
        }
    }

    public static IEnumerable<JsonObject> RowObjects(this JsonObject doc, string field) => doc.Rows(field).Cast<JsonObject>();

    public static decimal Round2(decimal value) => Math.Round(value, 2, MidpointRounding.AwayFromZero);
}
