using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Storebridge.ServiceDefaults;

/// <summary>OpenTelemetry for every service: traces, metrics and logs, exported over OTLP when an endpoint is configured
/// (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>); without one, only trace context is propagated.</summary>
public static class Telemetry
{
    /// <summary>Prefix of every Storebridge ActivitySource and Meter; the wildcard below picks them all up.</summary>
    public const string SourcePrefix = "Storebridge";

    internal static void AddStorebridgeTelemetry(this IHostApplicationBuilder builder)
    {
        var exporting = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var serviceName = builder.Configuration["OTEL_SERVICE_NAME"]
            ?? builder.Configuration["APP_ID"]
            ?? builder.Environment.ApplicationName;

        // Tracing is always on so trace context flows on every hop (webhook -> service -> runtime -> service), but
        // without an exporter nothing is recorded: spans, tags, metrics and log copies that nobody reads would cost
        // the hot paths (intake, deliveries) a large share of their CPU.
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithTracing(tracing =>
            {
                tracing
                    .AddSource($"{SourcePrefix}.*")
                    .AddAspNetCoreInstrumentation(o => o.Filter = context => !HealthEndpoints.IsHealthPath(context.Request.Path))
                    .AddGrpcClientInstrumentation()
                    .AddHttpClientInstrumentation();
                if (!exporting)
                {
                    tracing.SetSampler(new AlwaysOffSampler());
                }
            });

        if (!exporting)
        {
            return;
        }

        otel.WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter($"{SourcePrefix}.*"))
            .WithLogging(configureBuilder: null, configureOptions: logging =>
            {
                logging.IncludeFormattedMessage = true;
                logging.IncludeScopes = true;
            })
            .UseOtlpExporter();
    }
}
