using System.Text;
using System.Text.Json;
using Dapr;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Storebridge.ServiceDefaults.Events;

/// <summary>
/// The CloudEvent <c>id</c> of the delivery a subscription handler is handling, so that every handler can be
/// idempotent on it although <c>UseCloudEvents</c> hands it only the unwrapped <c>data</c>.
/// </summary>
public static class CloudEventIds
{
    // Dapr's CloudEvents middleware copies the members it is told to into "Cloudevent.{name}" request headers while it
    // unwraps the envelope, so a delivery's body is parsed once, by Dapr.
    internal const string Header = "Cloudevent.id";

    /// <summary>
    /// The <c>id</c> of the structured CloudEvent (<c>application/cloudevents+json</c>) this request delivered; null
    /// when the request was not a CloudEvent or its envelope's id is missing, empty or null.
    /// </summary>
    public static string? GetCloudEventId(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var raw = context.Request.Headers[Header].ToString();

        // Dapr forwards the member's JSON text with its quotes trimmed, so a JSON null arrives as "null": no id rather
        // than one id shared by every such event.
        if (raw.Length == 0 || raw == "null")
        {
            return null;
        }

        return raw.AsSpan().IndexOfAny('\\', '"') < 0 ? raw : Unescape(raw);
    }

    /// <summary>
    /// Unwraps CloudEvents like <c>UseCloudEvents()</c> and keeps each delivery's id for <see cref="GetCloudEventId"/>.
    /// </summary>
    internal static IApplicationBuilder UseCloudEventsWithIds(this IApplicationBuilder app)
    {
        // Only the unwrapping may set the header: one sent by a caller, or a broker's metadata, is not the envelope's id.
        app.Use((context, next) =>
        {
            context.Request.Headers.Remove(Header);
            return next(context);
        });
        return app.UseCloudEvents(new CloudEventsMiddlewareOptions
        {
            ForwardCloudEventPropertiesAsHeaders = true,
            IncludedCloudEventPropertiesAsHeaders = ["id"],
        });
    }

    // The forwarded text keeps JSON escapes (publishers escape differently: "&" may arrive as \u0026), so it is read
    // back as a JSON string; text that is not one (an object id, or an id ending in \" whose quote Dapr trimmed) is no id.
    private static string? Unescape(string raw)
    {
        var json = Encoding.UTF8.GetBytes($"\"{raw}\"");
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.String || reader.BytesConsumed != json.Length)
            {
                return null;
            }

            return reader.GetString() is { Length: > 0 } id ? id : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
