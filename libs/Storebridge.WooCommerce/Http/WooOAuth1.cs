using System.Security.Cryptography;
using System.Text;

namespace Storebridge.WooCommerce.Http;

/// <summary>One-legged OAuth 1.0a as WooCommerce uses it over plain HTTP: the oauth_* parameters travel in the
/// query string, the signature base string follows RFC 5849 §3.4.1 and the key is <c>consumer_secret + "&amp;"</c>
/// (no token). Used by the client to sign and by the store simulator to verify.</summary>
public static class WooOAuth1
{
    /// <summary>Signature method names on the wire.</summary>
    public const string HmacSha256 = "HMAC-SHA256", HmacSha1 = "HMAC-SHA1";

    /// <summary>Returns <paramref name="uri"/> with oauth_consumer_key, oauth_timestamp, oauth_nonce,
    /// oauth_signature_method and oauth_signature added to its query.</summary>
    public static Uri Sign(HttpMethod method, Uri uri, string consumerKey, string consumerSecret, string signatureMethod, DateTimeOffset now, string nonce)
    {
        var parameters = ParseQuery(uri.Query);
        parameters.Add(new("oauth_consumer_key", consumerKey));
        parameters.Add(new("oauth_nonce", nonce));
        parameters.Add(new("oauth_signature_method", signatureMethod));
        parameters.Add(new("oauth_timestamp", now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var signature = ComputeSignature(method.Method, BaseUri(uri), parameters, consumerSecret, signatureMethod);
        parameters.Add(new("oauth_signature", signature));
        var query = string.Join('&', parameters.Select(p => Encode(p.Key) + "=" + Encode(p.Value)));
        return new UriBuilder(uri) { Query = query }.Uri;
    }

    /// <summary>base64(HMAC(secret + "&amp;", base string)) over the given parameters (without oauth_signature).</summary>
    public static string ComputeSignature(string method, string baseUri, IEnumerable<KeyValuePair<string, string>> parameters, string consumerSecret, string signatureMethod)
    {
        var baseString = BaseString(method, baseUri, parameters);
        var key = Encoding.UTF8.GetBytes(Encode(consumerSecret) + "&");
        var data = Encoding.UTF8.GetBytes(baseString);
        var hash = signatureMethod switch
        {
            HmacSha256 => HMACSHA256.HashData(key, data),
#pragma warning disable CA5350 // HMAC-SHA1 is what the OAuth 1.0a stores accept; it is not used for anything else.
            HmacSha1 => HMACSHA1.HashData(key, data),
#pragma warning restore CA5350
            _ => throw new ArgumentException($"Unsupported OAuth signature method '{signatureMethod}'.", nameof(signatureMethod)),
        };
        return Convert.ToBase64String(hash);
    }

    /// <summary>The RFC 5849 signature base string: METHOD &amp; enc(base URI) &amp; enc(sorted enc(k)=enc(v) pairs).</summary>
    public static string BaseString(string method, string baseUri, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var normalized = string.Join('&', parameters
            .Select(p => (Key: Encode(p.Key), Value: Encode(p.Value)))
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => p.Key + "=" + p.Value));
        return method.ToUpperInvariant() + "&" + Encode(baseUri) + "&" + Encode(normalized);
    }

    /// <summary>Scheme, lower-case host, port when not default, and path: the base string URI of RFC 5849 §3.4.1.2.</summary>
    public static string BaseUri(Uri uri)
    {
        var port = uri.IsDefaultPort ? "" : ":" + uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return $"{uri.Scheme.ToLowerInvariant()}://{uri.Host.ToLowerInvariant()}{port}{uri.AbsolutePath}";
    }

    /// <summary>RFC 3986 percent-encoding of everything but unreserved characters.</summary>
    public static string Encode(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (b is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9') or (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    /// <summary>Decoded query parameters in order (a leading '?' is ignored).</summary>
    public static List<KeyValuePair<string, string>> ParseQuery(string query)
    {
        var result = new List<KeyValuePair<string, string>>();
        foreach (var part in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? part : part[..eq];
            var value = eq < 0 ? "" : part[(eq + 1)..];
            result.Add(new(Uri.UnescapeDataString(key.Replace('+', ' ')), Uri.UnescapeDataString(value.Replace('+', ' '))));
        }

        return result;
    }
}
