using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Storebridge.Erp.ErpNext;

namespace Storebridge.Erp;

/// <summary>Registers the ERP system API.</summary>
public static class ErpServiceCollectionExtensions
{
    /// <summary>Name of the HttpClient the ERPNext adapter uses (tests may swap its primary handler).</summary>
    public const string HttpClientName = "Storebridge.Erp.ErpNext";

    /// <summary>
    /// Registers <see cref="IErpSystem"/> backed by ERPNext, with options bound from <paramref name="configuration"/>'s
    /// <paramref name="sectionName"/> section (validated at start). Credentials belong in the secret store, not in files.
    /// </summary>
    public static IHttpClientBuilder AddErpNext(this IServiceCollection services, IConfiguration configuration, string sectionName = ErpNextOptions.SectionName)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddErpNextCore(o => o.Bind(configuration.GetSection(sectionName)));
    }

    /// <summary>Registers <see cref="IErpSystem"/> backed by ERPNext, configured in code (tests, tools).</summary>
    public static IHttpClientBuilder AddErpNext(this IServiceCollection services, Action<ErpNextOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddErpNextCore(o => o.Configure(configure));
    }

    private static IHttpClientBuilder AddErpNextCore(this IServiceCollection services, Action<OptionsBuilder<ErpNextOptions>> configure)
    {
        var options = services.AddOptions<ErpNextOptions>();
        configure(options);
        options.ValidateDataAnnotations()
            .Validate(o => o.BaseUrl is { IsAbsoluteUri: true } url && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp), "Storebridge:Erp:BaseUrl must be an absolute http(s) URL.")
            .Validate(o => o.RetryDelay >= TimeSpan.Zero && o.AttemptTimeout > TimeSpan.Zero && o.TotalTimeout >= o.AttemptTimeout, "Storebridge:Erp timeouts must be positive and the total at least one attempt.")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ErpNextLog>();
        services.TryAddTransient<FrappeTokenHandler>();
        services.TryAddTransient<IErpSystem, ErpNextSystem>();

        var builder = services.AddHttpClient<FrappeClient>(HttpClientName, (sp, http) =>
            {
                var o = sp.GetRequiredService<IOptions<ErpNextOptions>>().Value;
                var baseUrl = o.BaseUrl!.ToString();
                http.BaseAddress = new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/");

                // The resilience pipeline owns timeouts (per attempt and in total).
                http.Timeout = Timeout.InfiniteTimeSpan;
            })
            .AddHttpMessageHandler<FrappeTokenHandler>()

            // The factory's default request logging redacts header values in the message text but hands the raw
            // headers, token included, to structured log providers as state. The adapter logs failures itself;
            // traces come from OpenTelemetry's HttpClient instrumentation.
            .RemoveAllLoggers();

        // A host's default handlers (ServiceDefaults adds the standard one to every client) would retry on top of this
        // pipeline, including writes it deliberately does not retry.
#pragma warning disable EXTEXP0001 // Experimental in 10.x, and the only way to drop a host-wide default handler.
        builder.RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        builder.AddResilienceHandler("erpnext", static (pipeline, context) =>
        {
            var o = context.ServiceProvider.GetRequiredService<IOptions<ErpNextOptions>>().Value;
            pipeline.AddTimeout(o.TotalTimeout);
            if (o.MaxRetries > 0)
            {
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = o.MaxRetries,
                    Delay = o.RetryDelay,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    ShouldRetryAfterHeader = true,

                    // Reads only: a POST whose response was lost may have created the document; the adapter
                    // retries creates itself, starting again from the lookup by external reference.
                    ShouldHandle = args => ValueTask.FromResult(
                        IsRead(args.Context.GetRequestMessage()) && HttpClientResiliencePredicates.IsTransient(args.Outcome)),
                });
            }

            pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
            {
                FailureRatio = o.CircuitBreakerFailureRatio,
                MinimumThroughput = o.CircuitBreakerMinimumThroughput,
                SamplingDuration = o.CircuitBreakerSamplingDuration,
                BreakDuration = o.CircuitBreakerBreakDuration,
            });
            pipeline.AddTimeout(o.AttemptTimeout);
        });

        return builder;
    }

    private static bool IsRead(HttpRequestMessage? request) =>
        request is not null && (request.Method == HttpMethod.Get || request.Method == HttpMethod.Head || request.Method == HttpMethod.Options);
}
