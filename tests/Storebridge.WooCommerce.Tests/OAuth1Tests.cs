using Storebridge.WooCommerce.Http;

namespace Storebridge.WooCommerce.Tests;

public sealed class OAuth1Tests
{
    [Fact]
    public void Base_string_matches_the_rfc_5849_example()
    {
        // RFC 5849 section 3.4.1.1: parameters as decoded from the query, body and Authorization header.
        KeyValuePair<string, string>[] parameters =
        [
            new("b5", "=%3D"), new("a3", "a"), new("c@", ""), new("a2", "r b"),
            new("oauth_consumer_key", "9djdj82h48djs9d2"), new("oauth_token", "kkk9d7dh3k39sjv7"),
            new("oauth_signature_method", "HMAC-SHA1"), new("oauth_timestamp", "137131201"),
            new("oauth_nonce", "7d8f3e4a"), new("c2", ""), new("a3", "2 q"),
        ];

        var baseString = WooOAuth1.BaseString("POST", "http://example.com/request", parameters);

        Assert.Equal(
            "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7",
            baseString);
    }

    [Fact]
    public void Base_uri_lowercases_the_host_and_drops_default_port_and_query()
    {
        Assert.Equal("http://example.com/wp-json/wc/v3/orders", WooOAuth1.BaseUri(new Uri("HTTP://Example.COM:80/wp-json/wc/v3/orders?page=2")));
        Assert.Equal("http://127.0.0.1:8001/wp-json/wc/v3/orders", WooOAuth1.BaseUri(new Uri("http://127.0.0.1:8001/wp-json/wc/v3/orders")));
    }

    [Fact]
    public void Signed_uri_verifies_with_the_same_secret_and_not_with_another()
    {
        var signed = WooOAuth1.Sign(HttpMethod.Get, new Uri("http://127.0.0.1:8001/wp-json/wc/v3/orders?modified_after=2026-01-01T00:00:00"), "ck_1", "cs_1", WooOAuth1.HmacSha256, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), "abc");
        var parameters = WooOAuth1.ParseQuery(signed.Query);
        var signature = parameters.Single(p => p.Key == "oauth_signature").Value;
        var rest = parameters.Where(p => p.Key != "oauth_signature").ToList();

        Assert.Equal(signature, WooOAuth1.ComputeSignature("GET", WooOAuth1.BaseUri(signed), rest, "cs_1", WooOAuth1.HmacSha256));
        Assert.NotEqual(signature, WooOAuth1.ComputeSignature("GET", WooOAuth1.BaseUri(signed), rest, "cs_2", WooOAuth1.HmacSha256));
        Assert.Contains(parameters, p => p.Key == "modified_after" && p.Value == "2026-01-01T00:00:00");
    }
}
