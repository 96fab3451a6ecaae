using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Grpc.AspNetCore.Server;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Storebridge.ServiceDefaults.Events;
using Storebridge.ServiceDefaults.Exceptions;
using Storebridge.ServiceDefaults.Secrets;
using Storebridge.ServiceDefaults.Security;

namespace Storebridge.ServiceDefaults;

/// <summary>The hosting defaults every Storebridge service starts with.</summary>
public static class Extensions
{
    /// <summary>
    /// Telemetry, health checks, the Dapr client, authentication, problem details, request limits, gRPC and
    /// resilient outbound HTTP. Call first in <c>Program.cs</c>.
    /// </summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // Secrets first: the options bound below (API keys, store credentials) may come from the secret store.
        DaprSecretsConfiguration.LoadAsync(builder.Configuration, TimeSpan.FromSeconds(60), CancellationToken.None)
            .GetAwaiter().GetResult();

        builder.Services.Configure<ServiceDefaultsOptions>(builder.Configuration.GetSection(ServiceDefaultsOptions.Section));

        builder.AddStorebridgeTelemetry();
        builder.Services.AddStorebridgeHealthChecks();
        builder.AddStorebridgeAuthentication();

        builder.Services.AddDaprClient(dapr => dapr.UseJsonSerializationOptions(new JsonSerializerOptions(JsonSerializerDefaults.Web)));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<EventPublisher>();
        builder.Services.TryAddSingleton<ExceptionQueue>();
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();

        // Read when the server starts, so settings added after this call (tests, hosting environments) count.
        builder.Services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<ServiceDefaultsOptions>, IConfiguration>((kestrel, settings, configuration) =>
            {
                kestrel.Limits.MaxRequestBodySize = settings.Value.MaxRequestBodyBytes;
                var listen = settings.Value.Listen;
                listen.AppPort ??= int.TryParse(configuration["APP_PORT"], out var appPort) ? appPort : null;
                ConfigurePorts(kestrel, listen);
            });
        builder.Services.AddGrpc(grpc => grpc.EnableDetailedErrors = builder.Environment.IsDevelopment());
        builder.Services.AddOptions<GrpcServiceOptions>()
            .Configure<IOptions<ServiceDefaultsOptions>>((grpc, settings) =>
                grpc.MaxReceiveMessageSize = (int)Math.Min(settings.Value.MaxRequestBodyBytes, int.MaxValue));

        // Retries only for methods that are safe to repeat; clients with their own pipeline (connectors) replace it.
        builder.Services.ConfigureHttpClientDefaults(http => http.AddStandardResilienceHandler(o => o.Retry.DisableForUnsafeHttpMethods()));
        // Polly logs every attempt at Information; failures still log as warnings.
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        return builder;
    }

    private static void ConfigurePorts(KestrelServerOptions kestrel, ServiceDefaultsOptions.ListenOptions listen)
    {
        // Without explicit ports Kestrel keeps its usual "urls" configuration (HTTP/1.1 only in clear).
        if (listen.AppPort is null && listen.PublicPort is null)
        {
            return;
        }

        var address = IPAddress.Parse(listen.Address);
        if (listen.AppPort is { } app)
        {
            kestrel.Listen(address, app, endpoint => endpoint.Protocols = HttpProtocols.Http2);
        }

        if (listen.PublicPort is { } pub)
        {
            // HTTP/2 needs TLS negotiation on this port; in clear (behind an ingress or locally) it is HTTP/1.1.
            kestrel.Listen(address, pub, endpoint => endpoint.Protocols = HttpProtocols.Http1);
        }
    }

    /// <summary>
    /// The request pipeline every service shares: errors as problem details, request limits, authentication,
    /// CloudEvents unwrapping (the delivery's id kept for <see cref="CloudEventIds.GetCloudEventId"/>), the Dapr
    /// subscription list and the health endpoints.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRequestLimits();
        app.UseCloudEventsWithIds();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapHealthEndpoints();
        app.MapSubscribeHandler().RequireDaprRuntime();
        return app;
    }
}
