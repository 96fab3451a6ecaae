using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Storebridge.WooCommerce;

/// <summary>The JSON conventions of the WooCommerce REST API: snake_case names, money as strings,
/// site-local dates without an offset, nulls left out of writes so a model doubles as a partial update.</summary>
public static class WooJson
{
    /// <summary>Serializer options for WooCommerce payloads.</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };
        options.Converters.Add(new LenientStringConverter());
        options.Converters.Add(new WooDateTimeConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>Formats a date the way WooCommerce does (<c>2017-03-22T16:28:02</c>).</summary>
    public static string FormatDate(DateTime value) => value.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>Strings that WooCommerce (or a plugin) sometimes sends as numbers, such as prices.</summary>
    private sealed class LenientStringConverter : JsonConverter<string>
    {
        public override bool HandleNull => false;

        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType switch
            {
                JsonTokenType.String => reader.GetString(),
                JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
                JsonTokenType.True => "true",
                JsonTokenType.False => "false",
                _ => throw new JsonException($"Expected a string, found {reader.TokenType}."),
            };

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value);
    }

    /// <summary>WooCommerce dates carry no offset (the <c>_gmt</c> twin is UTC); written back the same way.</summary>
    private sealed class WooDateTimeConverter : JsonConverter<DateTime>
    {
        public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var text = reader.GetString();
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                var hasOffset = text!.EndsWith('Z') || text.LastIndexOfAny(['+', '-']) > 10;
                return hasOffset ? DateTime.SpecifyKind(parsed.UtcDateTime, DateTimeKind.Unspecified) : DateTime.SpecifyKind(parsed.DateTime, DateTimeKind.Unspecified);
            }

            throw new JsonException($"'{text}' is not a date.");
        }

        public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options) =>
            writer.WriteStringValue(FormatDate(value));
    }
}

/// <summary>Reads WooCommerce's <c>manage_stock</c>, which variations may set to <c>"parent"</c>.</summary>
public sealed class WooManageStockConverter : JsonConverter<bool?>
{
    /// <inheritdoc/>
    public override bool? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            JsonTokenType.String => reader.GetString() switch { "true" or "1" or "yes" => true, "false" or "0" or "no" => false, _ => null },
            _ => null,
        };

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, bool? value, JsonSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteBooleanValue(value.Value);
        }
    }
}
