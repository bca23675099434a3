// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RWAAccess} from "./RWAAccess.sol";

/// @title Document registry (ERC-1643 style)
/// @notice Offering documents (prospectus, term sheet, custody reports...) attached to the token by name,
/// each with its URI and content hash. Managed by DEFAULT_ADMIN_ROLE.
abstract contract RWADocuments is RWAAccess {
    struct Document {
        string uri;
        bytes32 documentHash;
        uint256 lastModified;
    }

    mapping(bytes32 name => Document) private _documents;
    /// @dev 1-based position of each name in `_documentNames` (0 = absent).
    mapping(bytes32 name => uint256 position) private _documentPositions;
    bytes32[] private _documentNames;

    /// @notice Emitted when a document is added or updated.
    /// @param name The document name.
    /// @param uri The document URI.
    /// @param documentHash The document content hash.
    event DocumentUpdated(bytes32 indexed name, string uri, bytes32 documentHash);
    /// @notice Emitted when a document is removed.
    /// @param name The document name.
    /// @param uri The URI it had.
    /// @param documentHash The hash it had.
    event DocumentRemoved(bytes32 indexed name, string uri, bytes32 documentHash);

    /// @notice No document has that name.
    error DocumentNotFound(bytes32 name);
    /// @notice The document name is zero.
    error EmptyDocumentName();

    /// @notice Adds or updates a document.
    /// @param name The document name (non-zero).
    /// @param uri The document URI.
    /// @param documentHash The document content hash.
    function setDocument(bytes32 name, string calldata uri, bytes32 documentHash)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        if (name == bytes32(0)) revert EmptyDocumentName();
        if (_documentPositions[name] == 0) {
            _documentNames.push(name);
            _documentPositions[name] = _documentNames.length;
        }
        _documents[name] = Document({uri: uri, documentHash: documentHash, lastModified: block.timestamp});
        emit DocumentUpdated(name, uri, documentHash);
    }

    /// @notice Removes a document.
    /// @param name The document name.
    function removeDocument(bytes32 name) external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint256 position = _documentPositions[name];
        if (position == 0) revert DocumentNotFound(name);
        Document memory doc = _documents[name];

        uint256 last = _documentNames.length;
        if (position != last) {
            bytes32 moved = _documentNames[last - 1];
            _documentNames[position - 1] = moved;
            _documentPositions[moved] = position;
        }
        _documentNames.pop();
        delete _documentPositions[name];
        delete _documents[name];
        emit DocumentRemoved(name, doc.uri, doc.documentHash);
    }

    /// @notice A document by name (ERC-1643); an unknown name returns empty values.
    /// @param name The document name.
    /// @return uri The document URI.
    /// @return documentHash The content hash.
    /// @return lastModified When it was last set (unix time).
    function getDocument(bytes32 name)
        external
        view
        returns (string memory uri, bytes32 documentHash, uint256 lastModified)
    {
        Document storage doc = _documents[name];
        return (doc.uri, doc.documentHash, doc.lastModified);
    }

    /// @notice Names of all documents (ERC-1643).
    /// @return The names.
    function getAllDocuments() external view returns (bytes32[] memory) {
        return _documentNames;
    }
}
