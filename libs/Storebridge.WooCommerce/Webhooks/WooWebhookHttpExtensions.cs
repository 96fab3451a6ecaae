using Microsoft.AspNetCore.Http;

namespace Storebridge.WooCommerce.Webhooks;

/// <summary>The raw body of a delivery as read by <see cref="WooWebhookHttpExtensions.ReadWebhookBodyAsync"/>.</summary>
/// <param name="Bytes">What was read: the whole body, or (when truncated) enough of it to tell it is over the limit.</param>
/// <param name="TotalLength">The body's length as far as it is known (declared or read).</param>
/// <param name="Truncated">The body is over the limit and was not read whole.</param>
public sealed record WebhookBody(byte[] Bytes, long TotalLength, bool Truncated);

/// <summary>Reads and verifies a WooCommerce delivery inside an ASP.NET Core endpoint.</summary>
public static class WooWebhookHttpExtensions
{
    // Real orders are a few KB; a very large one (hundreds of lines) still fits.
    private const long ExactReadLimit = 64 * 1024;

    /// <summary>Reads the raw body (stopping past <paramref name="maxBodyBytes"/>) and verifies it. Never throws
    /// for bad input: the result says why it was refused and which status to answer.</summary>
    public static async Task<WebhookVerificationResult> ReadWooWebhookAsync(this HttpRequest request, string secret, int maxBodyBytes = WooWebhookVerifier.DefaultMaxBodyBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? Header(string name) => request.Headers.TryGetValue(name, out var value) ? value.ToString() : null;
        var body = await request.ReadWebhookBodyAsync(maxBodyBytes, cancellationToken);
        return WooWebhookVerifier.Verify(body.Bytes, request.ContentType, Header, secret, maxBodyBytes);
    }

    /// <summary>
    /// Reads at most <paramref name="maxBodyBytes"/> + 1 bytes of the raw body: enough to tell an oversized body from a
    /// full one without buffering it all.
    /// </summary>
    public static async Task<WebhookBody> ReadWebhookBodyAsync(this HttpRequest request, int maxBodyBytes = WooWebhookVerifier.DefaultMaxBodyBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > maxBodyBytes)
        {
            return new WebhookBody(new byte[maxBodyBytes + 1], request.ContentLength.Value, Truncated: true);
        }

        // WooCommerce sends a Content-Length, and the server holds the body to it: an order-sized body is read straight
        // into an array of that size rather than through a chunk and a growing buffer. Only order-sized: nothing is
        // verified yet, and a large declared length must not reserve memory before its bytes arrive.
        if (request.ContentLength is { } length && length <= ExactReadLimit)
        {
            var exact = new byte[length];
            await request.Body.ReadExactlyAsync(exact, cancellationToken);
            return new WebhookBody(exact, length, Truncated: false);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > maxBodyBytes)
            {
                return new WebhookBody(buffer.ToArray(), buffer.Length, Truncated: true);
            }
        }

        return new WebhookBody(buffer.ToArray(), buffer.Length, Truncated: false);
    }
}
