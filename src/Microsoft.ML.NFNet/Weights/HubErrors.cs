namespace Microsoft.ML.NFNet;

/// <summary>Turns a failed hub answer into an exception whose message says what to do.</summary>
internal static class HubErrors
{
    private const string TokenHelp =
        "set HF_TOKEN (or HubDownloadOptions.Token) to a token with read access (https://huggingface.co/settings/tokens)";

    public static HubDownloadException FromResponse(HttpResponseMessage response, HubFileReference file, HubSettings settings, bool fromHub)
    {
        var status = (int)response.StatusCode;
        var url = response.RequestMessage?.RequestUri is { } requested ? HubUrlRedaction.ForMessage(requested) : file.DisplayUrl;
        var errorCode = Header(response, "X-Error-Code");
        var answer = $"HTTP {status} {response.ReasonPhrase}".TrimEnd() + (errorCode is null ? "" : $", {errorCode}");
        var tokenNote = settings.Token is null ? "No token was sent" : $"The token from {settings.TokenSource} was sent and refused";

        if (status is 408 or 429 || status >= 500)
            return new HubDownloadException($"The server answered {answer} for {url}; try again later.", url, status)
            {
                IsTransient = true,
                RetryAfter = response.Headers.RetryAfter?.Delta,
            };
        if (!fromHub)
            return new HubDownloadException(
                $"The download location {url} answered {answer} (its signed link may have expired); run the download again.", url, status);
        var message = (status, errorCode) switch
        {
            (404, "EntryNotFound") => $"The hub has no file {file.Describe()} ({answer}): {url}.",
            (404, "RevisionNotFound") => $"The hub repository {file.Repository} has no revision '{file.Revision}' ({answer}): {url}.",
            (404, _) => $"The hub has no repository or file for {file.Describe()} ({answer}): {url}. Check the name; if the " +
                $"repository is private or gated, {TokenHelp}. {tokenNote}.",
            (401, _) => $"The hub refused {url} ({answer}): the repository may be private or gated; {TokenHelp}. {tokenNote}.",
            (403, "GatedRepo") => $"{file.Repository} is a gated repository ({answer} for {url}): accept its conditions on " +
                $"https://huggingface.co/{file.Repository} and {TokenHelp}. {tokenNote}.",
            (403, _) => $"The hub forbids {url} ({answer}); {TokenHelp}, with access to {file.Repository}. {tokenNote}.",
            _ => $"The hub answered {answer} for {url}.",
        };
        return new HubDownloadException(message, url, status);
    }

    public static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault()
        : response.Content.Headers.TryGetValues(name, out var contentValues) ? contentValues.FirstOrDefault()
        : null;
}
