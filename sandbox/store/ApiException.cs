using Storebridge.WooCommerce.Models;

namespace Storebridge.Sandbox.Store;

/// <summary>A WooCommerce REST error; the API turns it into <c>{"code","message","data":{"status"}}</c>.</summary>
internal sealed class ApiException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;

    public WooError ToError() => new() { Code = Code, Message = Message, Data = new WooErrorData { Status = Status } };

    public static ApiException NotFound(string code) => new(404, code, "Invalid ID.");

    public static ApiException BadRequest(string code, string message) => new(400, code, message);
}
