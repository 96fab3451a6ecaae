using Dapr;
using Dapr.Client;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Storebridge.ServiceDefaults;

/// <summary>Ready only while the Dapr sidecar answers its health endpoint: without it no state, event or call works.</summary>
internal sealed class DaprSidecarHealthCheck(DaprClient dapr) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await dapr.CheckHealthAsync(cancellationToken)
                ? HealthCheckResult.Healthy("Dapr sidecar is healthy.")
                : HealthCheckResult.Unhealthy("Dapr sidecar is not healthy.");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or DaprException)
        {
            return HealthCheckResult.Unhealthy("Dapr sidecar is unreachable.", ex);
        }
    }
}
