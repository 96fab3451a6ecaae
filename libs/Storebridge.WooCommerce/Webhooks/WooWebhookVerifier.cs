using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Storebridge.WooCommerce.Webhooks;

/// <summary>What became of a webhook delivery.</summary>
public enum WebhookOutcome
{
    /// <summary>Signed correctly and well-formed: process it.</summary>
    Accepted,

    /// <summary>WooCommerce's ping after creating the webhook (<c>webhook_id=N</c>): answer 2xx, do nothing.</summary>
    Ping,

    /// <summary>Refused; see <see cref="WebhookRejection"/>.</summary>
    Rejected,
}

/// <summary>Why a delivery was refused.</summary>
public enum WebhookRejection
{
    /// <summary>Not refused.</summary>
    None,

    /// <summary>No <c>X-WC-Webhook-Signature</c> header.</summary>
    MissingSignature,

    /// <summary>The signature does not match the body.</summary>
    BadSignature,

    /// <summary>The body is not JSON (or not the ping form).</summary>
    WrongContentType,

    /// <summary>The body is larger than the limit.</summary>
    BodyTooLarge,

    /// <summary>Signed, but the JSON is cut off or invalid.</summary>
    MalformedJson,

    /// <summary>A required header (topic) is missing.</summary>
    MissingHeader,
}

/// <summary>The WooCommerce headers of a delivery.</summary>
/// <param name="Topic">X-WC-Webhook-Topic, for example <c>order.updated</c>.</param>
/// <param name="Resource">X-WC-Webhook-Resource, for example <c>order</c>.</param>
/// <param name="Event">X-WC-Webhook-Event, for example <c>updated</c>.</param>
/// <param name="WebhookId">X-WC-Webhook-ID.</param>
/// <param name="DeliveryId">X-WC-Webhook-Delivery-ID.</param>
/// <param name="Source">X-WC-Webhook-Source (the site URL).</param>
public sealed record WebhookHeaders(string? Topic, string? Resource, string? Event, string? WebhookId, string? DeliveryId, string? Source);

/// <summary>The verdict on one delivery.</summary>
/// <param name="Outcome">Accepted, ping or rejected.</param>
/// <param name="Rejection">Why it was rejected.</param>
/// <param name="Reason">A sentence for logs and the exception record (never contains the secret).</param>
/// <param name="Headers">The parsed WooCommerce headers.</param>
/// <param name="PingWebhookId">The webhook id of a ping.</param>
public sealed record WebhookVerificationResult(
    WebhookOutcome Outcome,
    WebhookRejection Rejection,
    string Reason,
    WebhookHeaders Headers,
    long? PingWebhookId)
{
    /// <summary>The HTTP status the receiver should answer: 200 for accepted and ping, 401 for signature
    /// problems, 413 too large, 415 wrong content type, 400 otherwise.</summary>
    /// <summary>The body of an accepted delivery, exactly as received (empty otherwise).</summary>
    public ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>
    /// The JSON body of an accepted delivery, parsed when asked for: verification only checks that it is well-formed,
    /// so a receiver that maps the raw bytes itself does not pay for a document it never reads.
    /// </summary>
    public JsonElement? Payload
    {
        get
        {
            if (Outcome != WebhookOutcome.Accepted)
            {
                return null;
            }

            var reader = new Utf8JsonReader(Body.Span);
            return JsonElement.ParseValue(ref reader);
        }
    }

    public int StatusCode => Rejection switch
    {
        WebhookRejection.None => 200,
        WebhookRejection.MissingSignature or WebhookRejection.BadSignature => 401,
        WebhookRejection.BodyTooLarge => 413,
        WebhookRejection.WrongContentType => 415,
        _ => 400,
    };
}

/// <summary>Verifies WooCommerce webhook deliveries: base64 HMAC-SHA256 of the raw body with the webhook secret,
/// compared in constant time before any JSON parsing.</summary>
public static class WooWebhookVerifier
{
    /// <summary>Default largest body accepted (1 MiB: a large order is a few tens of KiB).</summary>
    public const int DefaultMaxBodyBytes = 1024 * 1024;

    /// <summary>Header names WooCommerce sends.</summary>
    public const string SignatureHeader = "X-WC-Webhook-Signature", TopicHeader = "X-WC-Webhook-Topic",
        ResourceHeader = "X-WC-Webhook-Resource", EventHeader = "X-WC-Webhook-Event", IdHeader = "X-WC-Webhook-ID",
        DeliveryIdHeader = "X-WC-Webhook-Delivery-ID", SourceHeader = "X-WC-Webhook-Source";

    /// <summary>The signature WooCommerce puts on a body: base64(HMAC-SHA256(secret, body)).</summary>
    public static string ComputeSignature(ReadOnlySpan<byte> body, string secret) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>Judges one delivery.</summary>
    /// <param name="body">The raw body bytes, exactly as received.</param>
    /// <param name="contentType">The Content-Type header, if any.</param>
    /// <param name="header">Looks up a request header by name (case-insensitive), or returns null.</param>
    /// <param name="secret">The store's webhook secret.</param>
    /// <param name="maxBodyBytes">Largest body accepted.</param>
    public static WebhookVerificationResult Verify(ReadOnlyMemory<byte> body, string? contentType, Func<string, string?> header, string secret, int maxBodyBytes = DefaultMaxBodyBytes)
    {
        ArgumentNullException.ThrowIfNull(header);
        var headers = new WebhookHeaders(header(TopicHeader), header(ResourceHeader), header(EventHeader), header(IdHeader), header(DeliveryIdHeader), header(SourceHeader));
        if (body.Length > maxBodyBytes)
        {
            return Reject(headers, WebhookRejection.BodyTooLarge, $"Body of {body.Length} bytes is over the limit of {maxBodyBytes}.");
        }

        var mediaType = MediaType(contentType);
        if (mediaType is "" or "application/x-www-form-urlencoded" && TryParsePing(body.Span, out var pingId))
        {
            return new WebhookVerificationResult(WebhookOutcome.Ping, WebhookRejection.None, $"Ping of webhook {pingId}.", headers, pingId);
        }

        if (mediaType != "application/json")
        {
            return Reject(headers, WebhookRejection.WrongContentType, $"Content type '{contentType}' is not application/json.");
        }

        var signature = header(SignatureHeader);
        if (string.IsNullOrWhiteSpace(signature))
        {
            return Reject(headers, WebhookRejection.MissingSignature, $"No {SignatureHeader} header.");
        }

        if (string.IsNullOrEmpty(secret))
        {
            return Reject(headers, WebhookRejection.BadSignature, "No webhook secret is configured for this store; nothing can be verified.");
        }

        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body.Span, expected);
        Span<byte> given = stackalloc byte[64];
        if (!Convert.TryFromBase64String(signature.Trim(), given, out var written)
            || !CryptographicOperations.FixedTimeEquals(expected, given[..written]))
        {
            return Reject(headers, WebhookRejection.BadSignature, "Signature does not match the body.");
        }

        if (string.IsNullOrEmpty(headers.Topic))
        {
            return Reject(headers, WebhookRejection.MissingHeader, $"No {TopicHeader} header.");
        }

        try
        {
            // Well-formed is all that is checked here; the one value is read through and nothing is built.
            var reader = new Utf8JsonReader(body.Span);
            reader.Read();
            reader.Skip();
            return new WebhookVerificationResult(WebhookOutcome.Accepted, WebhookRejection.None, $"Delivery {headers.DeliveryId} of {headers.Topic}.", headers, null) { Body = body };
        }
        catch (JsonException ex)
        {
            return Reject(headers, WebhookRejection.MalformedJson, $"Body is not valid JSON: {ex.Message}");
        }
    }

    private static WebhookVerificationResult Reject(WebhookHeaders headers, WebhookRejection rejection, string reason) =>
        new(WebhookOutcome.Rejected, rejection, reason, headers, null);

    private static string MediaType(string? contentType) =>
        contentType is null ? "" : contentType.Split(';')[0].Trim().ToLowerInvariant();

    private static bool TryParsePing(ReadOnlySpan<byte> body, out long webhookId)
    {
        webhookId = 0;
        ReadOnlySpan<byte> prefix = "webhook_id="u8;
        return body.StartsWith(prefix)
            && long.TryParse(Encoding.ASCII.GetString(body[prefix.Length..]), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out webhookId);
    }
}
