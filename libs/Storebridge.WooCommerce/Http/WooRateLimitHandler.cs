using System.Collections.Concurrent;
using System.Threading.RateLimiting;

namespace Storebridge.WooCommerce.Http;

/// <summary>Client-side rate limit per store: a token bucket of <see cref="WooStoreOptions.Burst"/> tokens refilled at
/// <see cref="WooStoreOptions.RequestsPerSecond"/>. Requests over the rate wait in order rather than fail, so a
/// sweep or a bulk publish cannot trip the store's own throttling. Shared by all handler instances.</summary>
internal sealed class WooRateLimiters : IDisposable
{
    private readonly ConcurrentDictionary<string, RateLimiter> _limiters = new(StringComparer.OrdinalIgnoreCase);

    public RateLimiter For(WooStoreOptions store) => _limiters.GetOrAdd(store.StoreId, _ => Create(store));

    private static TokenBucketRateLimiter Create(WooStoreOptions store)
    {
        // Refill one token per 1/rate seconds; at least 1 ms so very high rates still work.
        var period = TimeSpan.FromMilliseconds(Math.Max(1, 1000.0 / store.RequestsPerSecond));
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = store.Burst,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = period,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }

    public void Dispose()
    {
        foreach (var limiter in _limiters.Values)
        {
            limiter.Dispose();
        }
    }
}

/// <summary>Waits for the store's rate limiter before each attempt.</summary>
internal sealed class WooRateLimitHandler(WooRateLimiters limiters) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var store = WooRequest.GetStore(request);
        using var lease = await limiters.For(store).AcquireAsync(1, cancellationToken);
        if (!lease.IsAcquired)
        {
            throw new InvalidOperationException($"Rate limiter of store '{store.StoreId}' refused the request.");
        }

        return await base.SendAsync(request, cancellationToken);
    }
}
