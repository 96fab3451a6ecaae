using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Storebridge.Erp.ErpNext;

/// <summary>Tolerant reads of Frappe document fields: checks come as 0/1, floats as numbers or strings, missing fields as null.</summary>
internal static class JsonFields
{
    public static string Str(this JsonObject doc, string field) => doc[field] switch
    {
        null => "",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        var node => node.ToJsonString(),
    };

    public static decimal Dec(this JsonObject doc, string field)
    {
        if (doc[field] is not JsonValue value)
        {
            return 0m;
        }

        var text = value.GetValueKind() switch
        {
            JsonValueKind.Number => value.ToJsonString(),
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.True => "1",
            _ => "0",
        };
        return decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number : 0m;
    }

    public static int Int(this JsonObject doc, string field) => (int)doc.Dec(field);

    public static bool Flag(this JsonObject doc, string field) => doc.Dec(field) != 0m;

    public static IEnumerable<JsonObject> Rows(this JsonObject doc, string field) =>
        doc[field] is JsonArray rows ? rows.OfType<JsonObject>() : [];
}
