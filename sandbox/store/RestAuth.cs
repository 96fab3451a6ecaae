using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Storebridge.WooCommerce.Http;

namespace Storebridge.Sandbox.Store;

/// <summary>WooCommerce's REST authentication (<c>WC_REST_Authentication</c>): Basic or query-string keys
/// (over HTTPS; over HTTP only when not strict), else one-legged OAuth 1.0a with timestamp and nonce checks.</summary>
internal static class RestAuth
{
    private static readonly TimeSpan TimestampWindow = TimeSpan.FromMinutes(15);

    /// <summary>Null when the request is authenticated, else the error to answer.</summary>
    public static ApiException? Check(HttpRequest request, StoreState state)
    {
        var options = state.Options;
        var allowKeys = request.IsHttps || !options.StrictHttpAuth;
        var authorization = request.Headers.Authorization.ToString();
        if (allowKeys && authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[6..].Trim()));
            }
            catch (FormatException)
            {
                return Unauthorized("Consumer key is invalid.");
            }

            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? Unauthorized("Consumer key is invalid.") : CheckKeys(decoded[..colon], decoded[(colon + 1)..], options);
        }

        if (allowKeys && request.Query.ContainsKey("consumer_key"))
        {
            return CheckKeys(request.Query["consumer_key"].ToString(), request.Query["consumer_secret"].ToString(), options);
        }

        if (request.Query.ContainsKey("oauth_consumer_key"))
        {
            return CheckOAuth(request, state);
        }

        return new ApiException(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.");
    }

    private static ApiException? CheckKeys(string key, string secret, StoreSimulatorOptions options)
    {
        if (!Equal(key, options.ConsumerKey))
        {
            return Unauthorized("Consumer key is invalid.");
        }

        return Equal(secret, options.ConsumerSecret) ? null : Unauthorized("Consumer secret is invalid.");
    }

    private static ApiException? CheckOAuth(HttpRequest request, StoreState state)
    {
        var options = state.Options;
        var parameters = WooOAuth1.ParseQuery(request.QueryString.Value ?? "");
        string? Get(string name) => parameters.FirstOrDefault(p => p.Key == name).Value;
        var missing = new[] { "oauth_consumer_key", "oauth_timestamp", "oauth_nonce", "oauth_signature", "oauth_signature_method" }
            .Where(name => string.IsNullOrEmpty(Get(name)))
            .ToList();
        if (missing.Count > 0)
        {
            return new ApiException(401, "woocommerce_rest_authentication_missing_parameter",
                $"Missing OAuth parameter{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing)}");
        }

        if (!Equal(Get("oauth_consumer_key")!, options.ConsumerKey))
        {
            return Unauthorized("Consumer key is invalid.");
        }

        var method = Get("oauth_signature_method")!;
        if (method is not (WooOAuth1.HmacSha1 or WooOAuth1.HmacSha256))
        {
            return Unauthorized("Invalid signature - signature method is invalid.");
        }

        var baseUri = $"{request.Scheme}://{request.Host.Value!.ToLowerInvariant()}{request.PathBase}{request.Path}";
        var expected = WooOAuth1.ComputeSignature(request.Method, WooOAuth1.BaseUri(new Uri(baseUri)), parameters.Where(p => p.Key != "oauth_signature"), options.ConsumerSecret, method);
        if (!Equal(expected, Get("oauth_signature")!))
        {
            return Unauthorized("Invalid signature - provided signature does not match.");
        }

        if (!long.TryParse(Get("oauth_timestamp"), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return Unauthorized("Invalid timestamp.");
        }

        var timestamp = DateTimeOffset.FromUnixTimeSeconds(seconds);
        if ((options.TimeProvider.GetUtcNow() - timestamp).Duration() > TimestampWindow)
        {
            return Unauthorized("Invalid timestamp.");
        }

        return state.UseNonce(options.ConsumerKey, Get("oauth_nonce")!, timestamp) ? null : Unauthorized("Invalid nonce - nonce has already been used.");
    }

    private static bool Equal(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    private static ApiException Unauthorized(string message) => new(401, "woocommerce_rest_authentication_error", message);
}
