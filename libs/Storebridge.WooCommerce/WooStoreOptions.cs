using System.ComponentModel.DataAnnotations;

namespace Storebridge.WooCommerce;

/// <summary>How the client authenticates against one store's REST API.</summary>
public enum WooAuthMode
{
    /// <summary>HTTP Basic with consumer key and secret; only over HTTPS.</summary>
    Basic,

    /// <summary><c>consumer_key</c>/<c>consumer_secret</c> query parameters, for HTTPS servers that drop the Authorization header.</summary>
    QueryString,

    /// <summary>One-legged OAuth 1.0a signed with HMAC-SHA256; the mode WooCommerce expects over plain HTTP.</summary>
    OAuth1HmacSha256,

    /// <summary>One-legged OAuth 1.0a signed with HMAC-SHA1.</summary>
    OAuth1HmacSha1,
}

/// <summary>One WooCommerce store: where it is, how to authenticate and how hard it may be driven.</summary>
/// <remarks>Consumer key/secret and webhook secret come from configuration that deployments fill from the
/// Dapr secret store; they are never logged and <see cref="ToString"/> leaves them out.</remarks>
public sealed class WooStoreOptions
{
    /// <summary>Storebridge's id of the store; part of every order reference ("{storeId}-{orderId}").</summary>
    [Required]
    public string StoreId { get; set; } = "";

    /// <summary>Site URL, for example <c>https://shop.example.com/</c>; the client appends <c>wp-json/wc/v3/</c>.</summary>
    [Required]
    public Uri? BaseUrl { get; set; }

    /// <summary>REST API consumer key (<c>ck_...</c>).</summary>
    public string ConsumerKey { get; set; } = "";

    /// <summary>REST API consumer secret (<c>cs_...</c>).</summary>
    public string ConsumerSecret { get; set; } = "";

    /// <summary>Secret the store signs webhook deliveries with.</summary>
    public string WebhookSecret { get; set; } = "";

    /// <summary>The store's currency (ISO 4217).</summary>
    public string Currency { get; set; } = "EUR";

    /// <summary>Items per batch call; WooCommerce's default limit is 100 (create + update + delete together).</summary>
    [Range(1, 1000)]
    public int BatchLimit { get; set; } = 100;

    /// <summary>Page size for list calls (1..100).</summary>
    [Range(1, 100)]
    public int PageSize { get; set; } = 100;

    /// <summary>Client-side request rate towards this store; requests over it wait.</summary>
    [Range(0.001, 10_000)]
    public double RequestsPerSecond { get; set; } = 10;

    /// <summary>Requests that may go out at once before the rate applies.</summary>
    [Range(1, 10_000)]
    public int Burst { get; set; } = 10;

    /// <summary>Authentication scheme; <see langword="null"/> picks Basic for https and OAuth 1.0a (SHA256) for http.</summary>
    public WooAuthMode? AuthMode { get; set; }

    /// <summary>Retry, timeout and circuit breaker settings.</summary>
    public WooResilienceOptions Resilience { get; set; } = new();

    /// <summary>The auth mode in force: the configured one, or the one the URL scheme calls for.</summary>
    public WooAuthMode EffectiveAuthMode =>
        AuthMode ?? (BaseUrl?.Scheme == Uri.UriSchemeHttps ? WooAuthMode.Basic : WooAuthMode.OAuth1HmacSha256);

    /// <summary>The store without its secrets, for logs.</summary>
    public override string ToString() => $"{StoreId} ({BaseUrl}, {EffectiveAuthMode})";
}

/// <summary>Retry, timeout and circuit breaker settings for one store.</summary>
public sealed class WooResilienceOptions
{
    /// <summary>Retries after the first attempt.</summary>
    public int MaxRetryAttempts { get; set; } = 4;

    /// <summary>First backoff delay; grows exponentially with jitter. A 429's Retry-After wins over it.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest delay between attempts (also caps a server's Retry-After).</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Timeout of one attempt.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Timeout of a call including all its retries.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Share of failed calls in the sampling window that opens the circuit.</summary>
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>Calls in the window before the breaker judges.</summary>
    public int MinimumThroughput { get; set; } = 20;

    /// <summary>Window the failure ratio is measured over.</summary>
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long an open circuit rejects calls before trying again.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>All configured stores, keyed by store id (configuration section <c>WooCommerce:Stores:{storeId}</c>).</summary>
public sealed class WooCommerceOptions
{
    /// <summary>Stores by id; an entry's <see cref="WooStoreOptions.StoreId"/> defaults to its key.</summary>
    public Dictionary<string, WooStoreOptions> Stores { get; } = new(StringComparer.OrdinalIgnoreCase);
}
