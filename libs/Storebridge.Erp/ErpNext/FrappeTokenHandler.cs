using System.Net.Http.Headers;
using Microsoft.Extensions.Options;

namespace Storebridge.Erp.ErpNext;

/// <summary>Adds Frappe token auth (<c>Authorization: token api_key:api_secret</c>) to every request. Reads the options on each call so a rotated secret applies without a restart.</summary>
internal sealed class FrappeTokenHandler(IOptionsMonitor<ErpNextOptions> options) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var current = options.CurrentValue;
        request.Headers.Authorization = new AuthenticationHeaderValue("token", $"{current.ApiKey}:{current.ApiSecret}");
        request.Headers.Accept.ParseAdd("application/json");
        return base.SendAsync(request, cancellationToken);
    }
}
