using Microsoft.AspNetCore.Http;

namespace Storebridge.WooCommerce.Webhooks;

/// <summary>Reads and verifies a WooCommerce delivery inside an ASP.NET Core endpoint.</summary>
public static class WooWebhookHttpExtensions
{
    /// <summary>Reads the raw body (stopping past <paramref name="maxBodyBytes"/>) and verifies it. Never throws
    /// for bad input: the result says why it was refused and which status to answer.</summary>
    public static async Task<WebhookVerificationResult> ReadWooWebhookAsync(this HttpRequest request, string secret, int maxBodyBytes = WooWebhookVerifier.DefaultMaxBodyBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? Header(string name) => request.Headers.TryGetValue(name, out var value) ? value.ToString() : null;
        if (request.ContentLength > maxBodyBytes)
        {
            return WooWebhookVerifier.Verify(new byte[maxBodyBytes + 1], request.ContentType, Header, secret, maxBodyBytes);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > maxBodyBytes)
            {
                break;
            }
        }

        return WooWebhookVerifier.Verify(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), request.ContentType, Header, secret, maxBodyBytes);
    }
}
