using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Storebridge.WooCommerce.Http;

/// <summary>The per-store resilience pipeline: total timeout, retry with backoff (Retry-After honoured),
/// circuit breaker, attempt timeout.</summary>
internal static class WooResilience
{
    public static void Configure(ResiliencePipelineBuilder<HttpResponseMessage> builder, WooResilienceOptions options)
    {
        builder.AddTimeout(options.TotalTimeout);
        if (options.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetryAttempts,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldRetryAfterHeader = true,
                ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome, args.Context)),
            });
        }

        builder
            .AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
            {
                FailureRatio = options.FailureRatio,
                MinimumThroughput = options.MinimumThroughput,
                SamplingDuration = options.SamplingDuration,
                BreakDuration = options.BreakDuration,
                ShouldHandle = args => ValueTask.FromResult(IsStoreFailure(args.Outcome)),
            })
            .AddTimeout(options.AttemptTimeout);
    }

    /// <summary>Whether an attempt may be repeated. GET/PUT/DELETE are idempotent. A POST (create, note,
    /// refund) may already have been applied when it fails with a 5xx or a broken connection, so it is repeated
    /// only when the store provably did not process it (429, connection refused) or the caller marked it safe.</summary>
    internal static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, ResilienceContext context)
    {
        var request = context.GetRequestMessage();
        var repeatable = request is null || IsRepeatable(request);
        if (outcome.Result is { } response)
        {
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                return true;
            }

            return repeatable && ((int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.RequestTimeout);
        }

        return outcome.Exception switch
        {
            HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } } => true,
            HttpRequestException or TimeoutRejectedException => repeatable,
            _ => false,
        };
    }

    private static bool IsRepeatable(HttpRequestMessage request) =>
        request.Method != HttpMethod.Post && request.Method != HttpMethod.Patch
        || request.Options.TryGetValue(WooRequest.RetrySafe, out var safe) && safe;

    // Throttling is the store protecting itself, not the store failing: it does not open the circuit.
    private static bool IsStoreFailure(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Result: { } r } => (int)r.StatusCode >= 500 || r.StatusCode == HttpStatusCode.RequestTimeout,
        { Exception: HttpRequestException or TimeoutRejectedException } => true,
        _ => false,
    };

    /// <summary>Whether an exception means the circuit of the store is open.</summary>
    public static bool IsCircuitOpen(Exception exception) => exception is BrokenCircuitException;
}
