using System.Net;

namespace Storebridge.WooCommerce;

/// <summary>A WooCommerce REST call that ended in an error response (after any retries).</summary>
/// <param name="storeId">The store called.</param>
/// <param name="statusCode">HTTP status of the final attempt.</param>
/// <param name="code">WooCommerce error code, for example <c>woocommerce_rest_authentication_error</c>.</param>
/// <param name="message">The store's error message.</param>
public sealed class WooApiException(string storeId, HttpStatusCode statusCode, string code, string message)
    : Exception($"WooCommerce store '{storeId}' answered {(int)statusCode} {code}: {message}")
{
    /// <summary>The store called.</summary>
    public string StoreId { get; } = storeId;

    /// <summary>HTTP status of the final attempt.</summary>
    public HttpStatusCode StatusCode { get; } = statusCode;

    /// <summary>WooCommerce error code.</summary>
    public string Code { get; } = code;

    /// <summary>The store's error message.</summary>
    public string StoreMessage { get; } = message;
}
