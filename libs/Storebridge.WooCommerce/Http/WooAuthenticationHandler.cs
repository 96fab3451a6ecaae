using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace Storebridge.WooCommerce.Http;

/// <summary>Adds the store's credentials to each attempt. It sits inside the retry pipeline so every retry
/// gets a fresh OAuth timestamp and nonce (a replayed nonce is rejected by the store).</summary>
internal sealed class WooAuthenticationHandler(TimeProvider time) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var store = WooRequest.GetStore(request);
        var uri = StripAuth(request.RequestUri!);
        switch (store.EffectiveAuthMode)
        {
            case WooAuthMode.Basic:
                request.RequestUri = uri;
                request.Headers.Authorization = new AuthenticationHeaderValue(
                    "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{store.ConsumerKey}:{store.ConsumerSecret}")));
                break;
            case WooAuthMode.QueryString:
                var separator = string.IsNullOrEmpty(uri.Query) ? "" : "&";
                request.RequestUri = new UriBuilder(uri)
                {
                    Query = uri.Query.TrimStart('?') + separator +
                            $"consumer_key={WooOAuth1.Encode(store.ConsumerKey)}&consumer_secret={WooOAuth1.Encode(store.ConsumerSecret)}",
                }.Uri;
                break;
            case WooAuthMode.OAuth1HmacSha256:
            case WooAuthMode.OAuth1HmacSha1:
                var method = store.EffectiveAuthMode == WooAuthMode.OAuth1HmacSha1 ? WooOAuth1.HmacSha1 : WooOAuth1.HmacSha256;
                var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
                request.RequestUri = WooOAuth1.Sign(request.Method, uri, store.ConsumerKey, store.ConsumerSecret, method, time.GetUtcNow(), nonce);
                break;
        }

        return base.SendAsync(request, cancellationToken);
    }

    // A retry reuses the request message: drop what the previous attempt added.
    private static Uri StripAuth(Uri uri)
    {
        if (string.IsNullOrEmpty(uri.Query))
        {
            return uri;
        }

        var kept = WooOAuth1.ParseQuery(uri.Query)
            .Where(p => !p.Key.StartsWith("oauth_", StringComparison.Ordinal) && p.Key is not ("consumer_key" or "consumer_secret"))
            .Select(p => WooOAuth1.Encode(p.Key) + "=" + WooOAuth1.Encode(p.Value));
        return new UriBuilder(uri) { Query = string.Join('&', kept) }.Uri;
    }
}
